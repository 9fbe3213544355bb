package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/vecimg/vecimg/internal/vec"
)

// foldRows is the block size, in rows, at which per-centre sums are folded
// from float32 into float64. Chunks always start at multiples of it, so the
// sums of a Lloyd pass do not depend on Workers or on the chunk size.
const foldRows = 256

// memChunkRows is the number of rows per chunk handed out in memory mode.
const memChunkRows = 16 * foldRows

// progressRows is how many vectors a scan reads between progress updates.
const progressRows = 4096

// dataset is the vectors of a Source, either loaded once (inMemory) or
// re-read by Scan on every pass.
type dataset struct {
	src       Source
	n, d      int
	normalize bool
	workers   int

	inMemory bool
	all      *mat     // every vector, when inMemory
	ids      []string // every id; nil until the first full pass when streaming

	chunkRows int  // rows per streamed chunk
	bufRows   int  // rows in one mini-batch buffer when streaming
	chunkBuf  *mat // the streamed chunk buffer, reused by every pass

	prog *reporter // nil: no progress reports (the seeding sample's dataset)

	zeros []float32 // d zeros, for the finiteness check
}

// newDataset checks src and loads it when it fits in o.MemoryLimit.
func newDataset(ctx context.Context, src Source, o Options) (*dataset, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil source", ErrEmptySource)
	}
	n, d := src.Len(), src.Dim()
	if n <= 0 || d <= 0 {
		return nil, fmt.Errorf("%w: %d vectors of dimension %d", ErrEmptySource, n, d)
	}
	ds := &dataset{src: src, n: n, d: d, normalize: o.Normalize, workers: o.Workers, zeros: make([]float32, d),
		prog: newReporter(o.Progress)}
	rowBytes := int64(d) * 4
	if int64(n)*rowBytes <= o.MemoryLimit {
		ds.inMemory = true
		// FromSlices vectors stay valid, so they are used in place unless
		// they are to be normalised; anything else is copied.
		_, direct := src.(*sliceSource)
		direct = direct && !o.Normalize
		if direct {
			ds.all = &mat{r: make([][]float32, n), norms: make([]float32, n), d: d}
		} else {
			ds.all = newMat(n, d)
		}
		ds.ids = make([]string, n)
		ds.prog.start(StageLoad, 0, int64(n))
		err := ds.scan(ctx, func(i int, id string, v []float32) error {
			if direct {
				ds.all.r[i] = v[:d:d]
			} else {
				copy(ds.all.row(i), v)
			}
			ds.ids[i] = id
			if (i+1)%progressRows == 0 && i+1 < n {
				ds.prog.update(int64(i + 1))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		ds.prog.finish(int64(n))
		if ds.normalize {
			parallel(ds.workers, n, 64, func(lo, hi int) { normalizeRows(ds.all, lo, hi) })
		}
		ds.all.setNorms(ds.workers)
		return ds, nil
	}
	chunk := o.MemoryLimit / 4 / rowBytes / foldRows * foldRows
	ds.chunkRows = int(min(max(chunk, foldRows), 16*foldRows))
	ds.bufRows = int(min(max(o.MemoryLimit/2/rowBytes, int64(o.BatchSize)), int64(n)))
	return ds, nil
}

// scan runs src.Scan and checks what it yields: indices in order, vector
// lengths, finite values, and the count.
func (ds *dataset) scan(ctx context.Context, fn func(i int, id string, v []float32) error) error {
	next := 0
	err := ds.src.Scan(ctx, func(i int, id string, v []float32) error {
		if i != next || i >= ds.n {
			return fmt.Errorf("%w: Scan yielded index %d (id %q), expected %d of %d", ErrSourceChanged, i, id, next, ds.n)
		}
		// x·0 is 0 for finite x and NaN for NaN or ±Inf, so one SIMD dot
		// product with zeros screens the whole vector; the shared check
		// (internal/vec) then says what is wrong.
		if len(v) != ds.d || dot(v, ds.zeros) != 0 {
			if err := vec.Check(v, ds.d); err != nil {
				return fmt.Errorf("%w: id %q: %v; re-embed or remove it", ErrBadVector, id, err)
			}
		}
		next++
		return fn(i, id, v)
	})
	if err != nil {
		return fmt.Errorf("reading vectors: %w", err)
	}
	if next != ds.n {
		return fmt.Errorf("%w: Scan yielded %d vectors, Len said %d", ErrSourceChanged, next, ds.n)
	}
	return nil
}

// chunks calls fn for consecutive blocks of rows in index order: rows
// start..start+m.rows()-1, with their ids. Every start is a multiple of
// foldRows. m is only valid during the call.
func (ds *dataset) chunks(ctx context.Context, fn func(start int, ids []string, m *mat) error) error {
	if ds.inMemory {
		for start := 0; start < ds.n; start += memChunkRows {
			if err := ctx.Err(); err != nil {
				return err
			}
			end := min(start+memChunkRows, ds.n)
			m := &mat{r: ds.all.r[start:end], norms: ds.all.norms[start:end], d: ds.d}
			if err := fn(start, ds.ids[start:end], m); err != nil {
				return err
			}
		}
		return nil
	}
	if ds.chunkBuf == nil {
		ds.chunkBuf = newMat(ds.chunkRows, ds.d)
	}
	buf := ds.chunkBuf
	ids := make([]string, 0, ds.chunkRows)
	start := 0
	flush := func() error {
		m := &mat{r: buf.r[:len(ids)], norms: buf.norms[:len(ids)], d: ds.d}
		if ds.normalize {
			parallel(ds.workers, m.rows(), 64, func(lo, hi int) { normalizeRows(m, lo, hi) })
		}
		m.setNorms(ds.workers)
		if err := fn(start, ids, m); err != nil {
			return err
		}
		start += len(ids)
		ids = ids[:0]
		return nil
	}
	err := ds.scan(ctx, func(i int, id string, v []float32) error {
		copy(buf.row(len(ids)), v)
		ids = append(ids, id)
		if len(ids) == ds.chunkRows {
			return flush()
		}
		return nil
	})
	if err == nil && len(ids) > 0 {
		err = flush()
	}
	return err
}

// pickIndices returns m distinct indices from [0, n), uniformly at random,
// sorted ascending (Floyd's algorithm).
func pickIndices(rng *rand.Rand, n, m int) []int {
	if m >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	seen := make(map[int]struct{}, m)
	idx := make([]int, 0, m)
	for j := n - m; j < n; j++ {
		t := rng.IntN(j + 1)
		if _, ok := seen[t]; ok {
			t = j
		}
		seen[t] = struct{}{}
		idx = append(idx, t)
	}
	slices.Sort(idx)
	return idx
}

// rows returns the rows with the given ascending indices (normalised when
// the dataset is): shared with the dataset when it is in memory (callers
// must not modify them), else copied during one Scan (reported as
// StageSample) into reuse when it has len(idx) rows, or into a new matrix.
func (ds *dataset) rows(ctx context.Context, idx []int, reuse *mat) (*mat, error) {
	if ds.inMemory {
		out := &mat{r: make([][]float32, len(idx)), norms: make([]float32, len(idx)), d: ds.d}
		for t, i := range idx {
			out.r[t] = ds.all.row(i)
			out.norms[t] = ds.all.norms[i]
		}
		return out, nil
	}
	out := reuse
	if out == nil || out.rows() != len(idx) || out.d != ds.d || len(out.r) != len(idx) {
		out = newMat(len(idx), ds.d)
	}
	t := 0
	ds.prog.start(StageSample, 0, int64(ds.n))
	err := ds.scan(ctx, func(i int, _ string, v []float32) error {
		if t < len(idx) && idx[t] == i {
			copy(out.row(t), v)
			t++
		}
		if (i+1)%progressRows == 0 && i+1 < ds.n {
			ds.prog.update(int64(i + 1))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ds.prog.finish(int64(ds.n))
	if ds.normalize {
		parallel(ds.workers, out.rows(), 64, func(lo, hi int) { normalizeRows(out, lo, hi) })
	}
	out.setNorms(ds.workers)
	return out, nil
}

// sample returns m uniformly chosen distinct rows (see rows, which may
// overwrite reuse) and their indices.
func (ds *dataset) sample(ctx context.Context, rng *rand.Rand, m int, reuse *mat) (*mat, []int, error) {
	idx := pickIndices(rng, ds.n, m)
	s, err := ds.rows(ctx, idx, reuse)
	return s, idx, err
}
