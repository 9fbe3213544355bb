package index

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// exactBlock is the number of vectors the scan hands to a worker at once;
// with exactQueue blocks in flight the scan holds at most
// (exactQueue + workers) · exactBlock vectors.
const (
	exactBlock = 64
	exactQueue = 4
)

// ExactSearch compares every query with every vector of src and returns, per
// query, the k nearest by exact cosine distance, ordered by (distance, id),
// leaving out the ids in exclude[i] for query i (exclude may be nil or
// shorter than queries). It streams: src is read once, its vectors are
// copied into small blocks that GOMAXPROCS workers compare with all queries,
// so memory stays bounded whatever the size of src. No index is needed.
// Vectors of another dimension than the queries', or without a direction,
// are skipped.
func ExactSearch(ctx context.Context, src VectorSource, queries [][]float32, k int, exclude [][]string) ([][]Result, error) {
	if k <= 0 {
		return nil, fmt.Errorf("exact search: %w: k = %d", ErrInvalidK, k)
	}
	if len(queries) == 0 {
		return nil, nil
	}
	dim := len(queries[0])
	qs := make([][]float32, len(queries))
	for i, q := range queries {
		qs[i] = make([]float32, dim)
		if err := normalise(qs[i], q, dim); err != nil {
			return nil, fmt.Errorf("exact search: query %d: %w", i, err)
		}
	}
	excl := func(i int) []string {
		if i < len(exclude) {
			return exclude[i]
		}
		return nil
	}
	workers := runtime.GOMAXPROCS(0)
	if ps, ok := src.(PartedSource); ok && workers > 1 {
		return exactParts(ctx, ps, qs, k, workers, excl)
	}
	type block struct {
		ids  []string
		vecs []float32 // len(ids) × dim
	}
	pool := make(chan *block, exactQueue+workers+1)
	for range exactQueue + workers + 1 {
		pool <- &block{vecs: make([]float32, 0, exactBlock*dim)}
	}
	work := make(chan *block, exactQueue)
	parts := make([][]exactTop, workers)
	var wg sync.WaitGroup
	for w := range workers {
		tops := newTops(len(qs), k)
		parts[w] = tops
		wg.Go(func() {
			for b := range work {
				for j, id := range b.ids {
					offerAll(tops, qs, id, b.vecs[j*dim:(j+1)*dim], excl)
				}
				b.ids, b.vecs = b.ids[:0], b.vecs[:0]
				pool <- b
			}
		})
	}
	cur := <-pool
	err := src.ScanVectors(ctx, func(id string, v []float32) error {
		if len(v) != dim {
			return nil
		}
		cur.ids = append(cur.ids, id)
		cur.vecs = append(cur.vecs, v...)
		if len(cur.ids) == exactBlock {
			work <- cur
			cur = <-pool
		}
		return nil
	})
	if len(cur.ids) > 0 && err == nil {
		work <- cur
	}
	close(work)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("exact search: reading vectors: %w", err)
	}
	return mergeTops(parts, len(qs), k), nil
}

// exactParts is ExactSearch over a source that scans in parts at once:
// each part compares its own vectors with every query and keeps its own
// top k, so reading the vectors (for the store: the value log's checksums
// and decoding, most of a scan's time) is shared by the cores too.
func exactParts(ctx context.Context, src PartedSource, qs [][]float32, k, workers int, excl func(int) []string) ([][]Result, error) {
	dim := len(qs[0])
	parts := make([][]exactTop, workers)
	for w := range parts {
		parts[w] = newTops(len(qs), k)
	}
	err := src.ScanVectorsParts(ctx, workers, func(w int, id string, v []float32) error {
		if len(v) == dim {
			offerAll(parts[w], qs, id, v, excl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("exact search: reading vectors: %w", err)
	}
	return mergeTops(parts, len(qs), k), nil
}

// newTops returns an empty top k for each of nq queries.
func newTops(nq, k int) []exactTop {
	tops := make([]exactTop, nq)
	for i := range tops {
		tops[i].k = k
	}
	return tops
}

// offerAll offers the stored vector (id, v) to each query's top (tops[i]
// for qs[i]) at its exact cosine distance, unless the query leaves id out.
// A vector without a direction is skipped.
func offerAll(tops []exactTop, qs [][]float32, id string, v []float32, excl func(int) []string) {
	inv, ok := invNorm(v)
	if !ok {
		return
	}
	for i, q := range qs {
		d := cosDist(dot(q, v) * inv)
		t := &tops[i]
		if len(t.a) == t.k && !t.better(d, id) {
			continue
		}
		if slices.Contains(excl(i), id) {
			continue
		}
		t.offer(Result{id, d})
	}
}

// mergeTops merges the workers' tops of each query into its k best.
func mergeTops(parts [][]exactTop, nq, k int) [][]Result {
	out := make([][]Result, nq)
	for i := range nq {
		var all []Result
		for _, p := range parts {
			all = append(all, p[i].a...)
		}
		sortResults(all)
		out[i] = all[:min(k, len(all))]
	}
	return out
}

// exactTop keeps the k best results seen, ordered by (distance, id), in a
// max-heap whose root is the worst kept one.
type exactTop struct {
	a []Result
	k int
}

func worseResult(a, b Result) bool {
	return a.Distance > b.Distance || (a.Distance == b.Distance && strings.Compare(a.ID, b.ID) > 0)
}

// better reports whether (d, id) would displace the worst kept result.
func (t *exactTop) better(d float32, id string) bool {
	return worseResult(t.a[0], Result{id, d})
}

func (t *exactTop) offer(r Result) {
	if len(t.a) < t.k {
		t.a = append(t.a, r)
		for i := len(t.a) - 1; i > 0; {
			p := (i - 1) / 2
			if !worseResult(t.a[i], t.a[p]) {
				break
			}
			t.a[i], t.a[p] = t.a[p], t.a[i]
			i = p
		}
		return
	}
	if !worseResult(t.a[0], r) {
		return
	}
	t.a[0] = r
	n := len(t.a)
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && worseResult(t.a[r], t.a[l]) {
			m = r
		}
		if !worseResult(t.a[m], t.a[i]) {
			break
		}
		t.a[i], t.a[m] = t.a[m], t.a[i]
		i = m
	}
}
