package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// maxKs bounds how many values of k ParseKs accepts.
const maxKs = 1000

// SweepRow is the outcome of fitting one k.
type SweepRow struct {
	K       int     `json:"k"`
	Inertia float64 `json:"inertia"`
	// Silhouette is the mean silhouette coefficient (Rousseeuw 1987, with
	// Euclidean distances) of a seeded sample of Options.SilhouetteSample
	// vectors, computed exactly on that sample; in [−1, 1], higher is
	// better. It is NaN (null in JSON) when the sample holds fewer than two
	// clusters.
	Silhouette float64 `json:"silhouette"`
	Sizes      []int   `json:"sizes"`
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
}

// MarshalJSON writes a NaN silhouette as null.
func (r SweepRow) MarshalJSON() ([]byte, error) {
	type plain SweepRow
	var sil *float64
	if !math.IsNaN(r.Silhouette) {
		sil = &r.Silhouette
	}
	return json.Marshal(struct {
		plain
		Silhouette *float64 `json:"silhouette"`
	}{plain(r), sil})
}

// Sweep fits every k in ks (each with opts, K replaced) and scores it by
// inertia and silhouette; rows come back in the order of ks. Vectors that
// fit in Options.MemoryLimit are loaded once for all k, and the silhouette
// sample and its distances are computed once. Every k must be at least 2
// and at most the number of vectors.
func Sweep(ctx context.Context, src Source, ks []int, opts Options) ([]SweepRow, error) {
	if len(ks) == 0 {
		return nil, fmt.Errorf("%w: no k to try", ErrBadKRange)
	}
	if src == nil {
		return nil, fmt.Errorf("%w: nil source", ErrEmptySource)
	}
	n := src.Len()
	for _, k := range ks {
		if k < 2 || (n > 0 && k > n) {
			return nil, fmt.Errorf("%w: k = %d; a sweep needs 2 <= k <= %d (the number of vectors)", ErrBadKRange, k, n)
		}
	}
	opts.K = ks[0]
	o, err := opts.withDefaults(n)
	if err != nil {
		return nil, err
	}
	ds, err := newDataset(ctx, src, o)
	if err != nil {
		return nil, err
	}
	// The silhouette sample and its distance matrix are shared by every k.
	rng := rand.New(rand.NewPCG(o.Seed, math.MaxUint64))
	sample, idx, err := ds.sample(ctx, rng, o.SilhouetteSample, nil)
	if err != nil {
		return nil, err
	}
	dist := pairwiseDistances(sample, o.Workers)
	rows := make([]SweepRow, 0, len(ks))
	for _, k := range ks {
		opts.K = k
		ok, err := opts.withDefaults(n)
		if err != nil {
			return nil, err
		}
		res, err := fitDataset(ctx, ds, ok)
		if err != nil {
			return nil, fmt.Errorf("k = %d: %w", k, err)
		}
		lab := make([]int32, len(idx))
		for t, i := range idx {
			lab[t] = res.Labels[i]
		}
		rows = append(rows, SweepRow{
			K: k, Inertia: res.Inertia, Silhouette: silhouette(dist, lab, k, o.Workers),
			Sizes: res.Sizes, Iterations: res.Iterations, Converged: res.Converged,
		})
	}
	return rows, nil
}

// Suggest picks a k from sweep rows by silhouette: going through the rows
// by ascending k, it moves to a larger k only when that k's silhouette
// beats the current choice's by more than 0.01, so the highest silhouette
// wins and near ties (which a sampled silhouette cannot separate) go to the
// smaller k. Rows with a NaN silhouette are skipped; 0 means no row had a
// score.
func Suggest(rows []SweepRow) int {
	const tie = 0.01
	best, bestSil := 0, math.Inf(-1)
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b SweepRow) int { return a.K - b.K })
	for _, r := range sorted {
		if math.IsNaN(r.Silhouette) {
			continue
		}
		if r.Silhouette > bestSil+tie {
			best, bestSil = r.K, r.Silhouette
		}
	}
	return best
}

// ParseKs reads a list of cluster counts: comma-separated items, each a
// number ("5") or an inclusive range ("2..12"), e.g. "2..12", "5",
// "3,5,8" or "2..4,10". The result is sorted ascending without duplicates.
// Values must be at least 1; at most 1000 values are accepted.
func ParseKs(s string) ([]int, error) {
	var ks []int
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "..")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%w: %q in %q: want N or A..B", ErrBadKRange, item, s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("%w: %q in %q: want N or A..B", ErrBadKRange, item, s)
			}
		}
		if a < 1 || b < a {
			return nil, fmt.Errorf("%w: %q in %q: values must be >= 1 and ranges ascending", ErrBadKRange, item, s)
		}
		if b-a >= maxKs || len(ks)+b-a >= maxKs {
			return nil, fmt.Errorf("%w: %q asks for more than %d values of k", ErrBadKRange, s, maxKs)
		}
		for k := a; k <= b; k++ {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks), nil
}

// pairwiseDistances returns the m×m Euclidean distance matrix of s's rows.
func pairwiseDistances(s *mat, workers int) []float32 {
	m := s.rows()
	dist := make([]float32, m*m)
	b := newBlock(s)
	parallel(workers, m, 8, func(lo, hi int) {
		eachDots(s.row, lo, hi, b, func(i int, dots []float32) {
			for j, dt := range dots {
				dist[i*m+j] = float32(math.Sqrt(sqDistNorm(s.norms[i], dt, s.norms[j])))
			}
			dist[i*m+i] = 0
		})
	})
	// Make the matrix exactly symmetric (the two triangles round differently).
	for i := range m {
		for j := i + 1; j < m; j++ {
			dist[j*m+i] = dist[i*m+j]
		}
	}
	return dist
}

// silhouette returns the mean silhouette coefficient of m points with
// labels lab (0..k−1) and distance matrix dist. A point alone in its
// cluster scores 0. NaN if fewer than two clusters are present.
func silhouette(dist []float32, lab []int32, k, workers int) float64 {
	m := len(lab)
	size := make([]int, k)
	for _, l := range lab {
		size[l]++
	}
	present := 0
	for _, s := range size {
		if s > 0 {
			present++
		}
	}
	if present < 2 {
		return math.NaN()
	}
	score := make([]float64, m)
	parallel(workers, m, 16, func(lo, hi int) {
		sums := make([]float64, k)
		for i := lo; i < hi; i++ {
			clear(sums)
			for j, d := range dist[i*m : (i+1)*m] {
				sums[lab[j]] += float64(d)
			}
			own := lab[i]
			if size[own] < 2 {
				continue
			}
			a := sums[own] / float64(size[own]-1)
			b := math.Inf(1)
			for c, s := range sums {
				if int32(c) != own && size[c] > 0 {
					b = min(b, s/float64(size[c]))
				}
			}
			if den := max(a, b); den > 0 {
				score[i] = (b - a) / den
			}
		}
	})
	total := 0.0
	for _, v := range score {
		total += v
	}
	return total / float64(m)
}
