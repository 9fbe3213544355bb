package cluster

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/viterin/vek/vek32"
)

// Result is a fitted clustering. Slices indexed by vector follow the
// Source's Scan order; clusters are numbered 0..K−1 by size, largest first,
// ties broken by the cluster whose smallest id (in NaturalLess order) comes
// first.
type Result struct {
	// K is the number of clusters; every cluster has at least one member.
	K int `json:"k"`
	// Centers holds the K centres (unit length with Options.Normalize).
	Centers [][]float32 `json:"centers"`
	// Labels holds the cluster of every vector.
	Labels []int32 `json:"-"`
	// Distances holds every vector's squared Euclidean distance to its
	// centre (between unit vectors with Options.Normalize).
	Distances []float32 `json:"-"`
	// IDs holds every vector's id, as Scan yielded it.
	IDs []string `json:"-"`
	// Sizes holds the number of members of each cluster (non-increasing).
	Sizes []int `json:"sizes"`
	// Inertia is the sum of Distances.
	Inertia float64 `json:"inertia"`
	// Swaps is the number of swap repairs kept on the seeding sample
	// (centres moved from a cluster that was not needed to one that held
	// two groups).
	Swaps int `json:"swaps"`
	// Iterations is the number of mini-batch steps run over all vectors.
	Iterations int `json:"iterations"`
	// RefinePasses is the number of Lloyd centre updates made after the
	// mini-batch phase.
	RefinePasses int `json:"refine_passes"`
	// Converged reports that the last pass changed no label, so the result
	// is a Lloyd fixed point (a full k-means local optimum).
	Converged bool `json:"converged"`
	// Reseeded counts the clusters that came out of a pass empty and were
	// re-seeded with the vector farthest from its centre.
	Reseeded int `json:"reseeded"`
	// Options are the options used, defaults filled in.
	Options Options `json:"options"`
}

// Fit clusters the vectors of src into opts.K clusters with mini-batch
// k-means and returns the result with stable label numbering (see Result).
//
// The steps:
//
//  1. Initialisation, NInit times, on a seeded uniform sample of
//     SampleSize vectors held in memory: greedy k-means++ seeding (Arthur
//     & Vassilvitskii 2007; 2+⌊ln K⌋ candidates per centre, rounded up to
//     a multiple of 4), then Lloyd iterations on the sample until no label
//     changes (at most 30). The initialisation with the lowest inertia on
//     the sample is kept.
//  2. Swap repair on the sample: while splitting some cluster in two is
//     estimated to gain more than removing another costs, the cheap centre
//     is moved into the split cluster and Lloyd iterations rerun; the swap
//     is kept only if the sample inertia drops (at most 2·K tries, ending
//     after 3 rejected swaps in a row). This fixes the local optima where
//     one centre covers two groups and two centres share one.
//  3. Mini-batch steps (Sculley 2010) over all vectors, skipped when the
//     sample is the whole data: each step draws BatchSize vectors, assigns
//     them to the nearest centre and moves every centre to the running
//     mean of all vectors assigned to it so far (per-vector learning rate
//     1/count, counts starting from the sample cluster sizes). The steps
//     stop after MaxIter or once centres move less than Tol allows.
//  4. Up to Refine Lloyd passes over all vectors (see Options.Refine), the
//     last of which yields Labels, Distances and Inertia.
//
// A cluster left empty by a pass is re-seeded with the vector farthest from
// its own centre (taken from a cluster with at least two members), so no
// cluster is empty; K must not exceed the number of vectors.
//
// Vectors are loaded once when they fit in Options.MemoryLimit and streamed
// through src.Scan on every pass otherwise (mini-batches then come from a
// random in-memory sample that is redrawn once used up). The result depends
// only on src's contents and order and on opts, not on Workers.
func Fit(ctx context.Context, src Source, opts Options) (*Result, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil source", ErrEmptySource)
	}
	o, err := opts.withDefaults(src.Len())
	if err != nil {
		return nil, err
	}
	if n := src.Len(); n > 0 && n < o.K {
		return nil, fmt.Errorf("%w: %d vectors, K = %d; lower K", ErrTooFewVectors, n, o.K)
	}
	ds, err := newDataset(ctx, src, o)
	if err != nil {
		return nil, err
	}
	return fitDataset(ctx, ds, o)
}

// fitter holds the state shared by the phases of one Fit.
type fitter struct {
	ds       *dataset
	o        Options
	totalVar float64 // sum of per-dimension variances of the seeding sample
}

// samplePasses caps the Lloyd passes each initialisation runs on the
// seeding sample.
const samplePasses = 30

func fitDataset(ctx context.Context, ds *dataset, o Options) (*Result, error) {
	if ds.n < o.K {
		return nil, fmt.Errorf("%w: %d vectors, K = %d; lower K", ErrTooFewVectors, ds.n, o.K)
	}
	f := &fitter{ds: ds, o: o}
	rng := rand.New(rand.NewPCG(o.Seed, 0))
	s, _, err := ds.sample(ctx, rng, o.SampleSize, nil)
	if err != nil {
		return nil, err
	}
	f.totalVar = totalVariance(s)
	sample := &dataset{n: s.rows(), d: s.d, normalize: o.Normalize, workers: o.Workers,
		inMemory: true, all: s, ids: make([]string, s.rows())}
	var best *Result
	ds.prog.start(StageSeeding, 0, int64(o.NInit))
	for in := range o.NInit {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := seedPlusPlus(s, o.K, rand.New(rand.NewPCG(o.Seed, uint64(in)+1)), o.Workers)
		r, err := sample.lloyd(ctx, c, samplePasses)
		if err != nil {
			return nil, err
		}
		if best == nil || r.Inertia < best.Inertia {
			best = r
		}
		ds.prog.update(int64(in + 1))
	}
	best, swaps, err := sample.repair(ctx, best, ds.prog)
	if err != nil {
		return nil, err
	}
	c := newMat(o.K, ds.d)
	counts := make([]float64, o.K)
	for j, cj := range best.Centers {
		copy(c.row(j), cj)
		c.norms[j] = vek32.Dot(cj, cj)
		counts[j] = float64(best.Sizes[j])
	}
	iters := 0
	if s.rows() < ds.n {
		if iters, err = f.minibatch(ctx, c, counts, rng); err != nil {
			return nil, err
		}
	}
	res, err := ds.lloyd(ctx, c, max(o.Refine, 0))
	if err != nil {
		return nil, err
	}
	res.Iterations = iters
	res.Swaps = swaps
	res.Options = o
	res.Options.Progress = nil
	res.renumber()
	return res, nil
}

// totalVariance returns the sum over dimensions of the variance of s's rows.
func totalVariance(s *mat) float64 {
	n, d := s.rows(), s.d
	if n < 2 {
		return 0
	}
	sum := make([]float64, d)
	sq := make([]float64, d)
	for i := range n {
		for j, v := range s.row(i) {
			sum[j] += float64(v)
			sq[j] += float64(v) * float64(v)
		}
	}
	tv := 0.0
	for j := range d {
		m := sum[j] / float64(n)
		tv += max(sq[j]/float64(n)-m*m, 0)
	}
	return tv
}

// minibatch runs the mini-batch steps on centres c (updated in place), each
// the running mean of counts[j] vectors so far, and returns the number of
// steps taken.
func (f *fitter) minibatch(ctx context.Context, c *mat, counts []float64, rng *rand.Rand) (int, error) {
	ds, o := f.ds, f.o
	k, d := c.rows(), c.d
	buf := ds.all
	if !ds.inMemory {
		var err error
		if buf, _, err = ds.sample(ctx, rng, ds.bufRows, nil); err != nil {
			return 0, err
		}
	}
	bs := min(o.BatchSize, buf.rows())
	perm := rng.Perm(buf.rows())
	pos := 0
	labels := make([]int32, bs)
	dists := make([]float32, bs)
	sums := make([]float32, k*d)
	nb := make([]int, k)
	old := make([]float32, d)
	ds.prog.start(StageMiniBatch, 0, int64(o.MaxIter))
	for it := range o.MaxIter {
		if err := ctx.Err(); err != nil {
			return it, err
		}
		if pos+bs > len(perm) {
			if !ds.inMemory && ds.bufRows < ds.n {
				// The new buffer overwrites the old one: the steps only
				// ever need one, and at 1M × 4096 it is half of MemoryLimit.
				var err error
				if buf, _, err = ds.sample(ctx, rng, ds.bufRows, buf); err != nil {
					return it, err
				}
				ds.prog.start(StageMiniBatch, int64(it), int64(o.MaxIter))
			}
			rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			pos = 0
		}
		batch := perm[pos : pos+bs]
		pos += bs
		assignRows(buf, batch, c, labels, dists, false, o.Workers)
		clear(nb)
		for _, l := range labels {
			nb[l]++
		}
		clear(sums)
		parallel(o.Workers, d, 256, func(lo, hi int) {
			for t, r := range batch {
				l := int(labels[t])
				vek32.Add_Inplace(sums[l*d+lo:l*d+hi], buf.row(r)[lo:hi])
			}
		})
		shift := 0.0
		for j := range k {
			if nb[j] == 0 {
				continue
			}
			cj, sj := c.row(j), sums[j*d:(j+1)*d]
			copy(old, cj)
			tot := counts[j] + float64(nb[j])
			vek32.MulNumber_Inplace(cj, float32(counts[j]/tot))
			vek32.MulNumber_Inplace(sj, float32(1/tot))
			vek32.Add_Inplace(cj, sj)
			if o.Normalize {
				normalize(cj)
			}
			c.norms[j] = vek32.Dot(cj, cj)
			shift += float64(sqDist(cj, old))
			counts[j] = tot
		}
		if o.Tol > 0 && shift/float64(k) <= o.Tol*f.totalVar {
			ds.prog.finish(int64(it + 1)) // settled: the stage ends early
			return it + 1, nil
		}
		ds.prog.update(int64(it + 1))
	}
	return o.MaxIter, nil
}

// lloyd runs passes from centres c (modified): assign every vector, re-seed
// empty clusters, and move centres to their means, up to passes times or
// until no label changes; the last pass's labels match the returned centres.
func (ds *dataset) lloyd(ctx context.Context, c *mat, passes int) (*Result, error) {
	n, k, d := ds.n, c.rows(), c.d
	labels := make([]int32, n)
	prev := make([]int32, n)
	for i := range labels {
		labels[i] = -1
	}
	dists := make([]float32, n)
	sums := make([]float64, k*d)
	counts := make([]int, k)
	res := &Result{K: k}
	stage := StageRefine
	if passes == 0 {
		stage = StageAssign
	}
	for {
		copy(prev, labels)
		ds.prog.start(stage, 0, int64(n))
		if err := ds.assignPass(ctx, c, labels, dists, sums, counts); err != nil {
			return nil, err
		}
		stolen, err := ds.fillEmpty(ctx, c, labels, dists, sums, counts)
		if err != nil {
			return nil, err
		}
		res.Reseeded += stolen
		changed := 0
		for i, l := range labels {
			if l != prev[i] {
				changed++
			}
		}
		if changed == 0 {
			res.Converged = true
			break
		}
		if res.RefinePasses >= passes {
			break
		}
		for j := range k {
			cj, inv := c.row(j), 1/float64(counts[j])
			for t := range cj {
				cj[t] = float32(sums[j*d+t] * inv)
			}
			if ds.normalize {
				normalize(cj)
			}
			c.norms[j] = vek32.Dot(cj, cj)
		}
		res.RefinePasses++
	}
	res.Labels, res.Distances, res.IDs = labels, dists, ds.ids
	res.Centers = make([][]float32, k)
	for j := range k {
		res.Centers[j] = slices.Clone(c.row(j))
	}
	res.Sizes = counts
	for _, v := range dists {
		res.Inertia += float64(v)
	}
	return res, nil
}

// assignPass assigns every vector to its nearest centre (writing labels and
// exact squared distances) and recomputes per-centre sums and counts. It
// records ids on the first pass of a streamed dataset.
func (ds *dataset) assignPass(ctx context.Context, c *mat, labels []int32, dists []float32, sums []float64, counts []int) error {
	workers := ds.workers
	k, d := c.rows(), c.d
	clear(sums)
	clear(counts)
	var ids []string
	if ds.ids == nil {
		ids = make([]string, ds.n)
	}
	err := ds.chunks(ctx, func(start int, chunkIDs []string, m *mat) error {
		rows := m.rows()
		lab, dist := labels[start:start+rows], dists[start:start+rows]
		assignRows(m, nil, c, lab, dist, true, workers)
		for _, l := range lab {
			counts[l]++
		}
		if ids != nil {
			copy(ids[start:], chunkIDs)
		}
		if end := int64(start + rows); end < int64(ds.n) {
			ds.prog.update(end)
		}
		parallel(workers, d, 256, func(lo, hi int) {
			w := hi - lo
			part := make([]float32, k*w)
			touched := make([]bool, k)
			for b := 0; b < rows; b += foldRows {
				clear(touched)
				for t := b; t < min(b+foldRows, rows); t++ {
					l := int(lab[t])
					p, x := part[l*w:(l+1)*w], m.row(t)[lo:hi]
					if touched[l] {
						vek32.Add_Inplace(p, x)
					} else {
						copy(p, x)
						touched[l] = true
					}
				}
				for l, ok := range touched {
					if !ok {
						continue
					}
					s := sums[l*d+lo : l*d+hi]
					for q, v := range part[l*w : (l+1)*w] {
						s[q] += float64(v)
					}
				}
			}
		})
		return nil
	})
	if err != nil {
		return err
	}
	ds.prog.finish(int64(ds.n))
	if ids != nil {
		ds.ids = ids
	}
	return nil
}

// fillEmpty gives every empty cluster one vector: the vector farthest from
// its centre (ties: lowest index) among clusters with at least two members.
// The vector becomes the cluster's centre. It returns how many clusters it
// filled.
func (ds *dataset) fillEmpty(ctx context.Context, c *mat, labels []int32, dists []float32, sums []float64, counts []int) (int, error) {
	var empty []int
	for j, n := range counts {
		if n == 0 {
			empty = append(empty, j)
		}
	}
	if len(empty) == 0 {
		return 0, nil
	}
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if r := cmp.Compare(dists[b], dists[a]); r != 0 {
			return r
		}
		return cmp.Compare(a, b)
	})
	type move struct{ i, from, to int }
	var moves []move
	for _, i := range order {
		if len(moves) == len(empty) {
			break
		}
		from := int(labels[i])
		if counts[from] < 2 {
			continue
		}
		to := empty[len(moves)]
		counts[from]--
		counts[to] = 1
		labels[i], dists[i] = int32(to), 0
		moves = append(moves, move{i, from, to})
	}
	if len(moves) < len(empty) {
		return 0, fmt.Errorf("%w: cannot fill %d empty clusters", ErrTooFewVectors, len(empty))
	}
	slices.SortFunc(moves, func(a, b move) int { return cmp.Compare(a.i, b.i) })
	idx := make([]int, len(moves))
	for t, mv := range moves {
		idx[t] = mv.i
	}
	rows, err := ds.rows(ctx, idx, nil)
	if err != nil {
		return 0, err
	}
	d := c.d
	for t, mv := range moves {
		x := rows.row(t)
		copy(c.row(mv.to), x)
		c.norms[mv.to] = rows.norms[t]
		from, to := sums[mv.from*d:(mv.from+1)*d], sums[mv.to*d:(mv.to+1)*d]
		for q, v := range x {
			from[q] -= float64(v)
			to[q] = float64(v)
		}
	}
	return len(moves), nil
}
