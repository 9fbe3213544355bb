package index

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// batchChunk is the number of new nodes whose insertion searches run in
// parallel against the same graph state. It is a constant, not the number of
// cores, so that a batch builds the same graph on any machine.
const batchChunk = 64

// AddBatch adds or replaces many vectors, using all cores. All vectors are
// checked first: if any is invalid (see Add) or ids and vecs differ in
// length, nothing is added. When an id appears more than once, its last
// vector wins.
//
// Nodes are inserted in chunks of 64: their insertion searches run in
// parallel against the graph as it was before the chunk, then they are
// linked one by one, in order, each also considering the chunk's earlier
// nodes as neighbours. The graph is deterministic (Seed, configuration and
// the sequence of calls), but differs from the one that calling Add for
// each vector would build.
func (x *Index) AddBatch(ids []string, vecs [][]float32) error {
	if len(ids) != len(vecs) {
		return fmt.Errorf("add batch: %d ids but %d vectors", len(ids), len(vecs))
	}
	last := make(map[string]int, len(ids))
	for i, id := range ids {
		if err := checkID(id); err != nil {
			return fmt.Errorf("add batch: item %d: %w", i, err)
		}
		last[id] = i
	}
	// Normalise in parallel before taking the write lock, so that searches
	// are not held up; the dimension is checked again under the lock.
	dim := x.Dim()
	norm := make([][]float32, len(vecs))
	errs := make([]error, len(vecs))
	parallelFor(len(vecs), func(i int) {
		if last[ids[i]] != i {
			return
		}
		norm[i] = make([]float32, dim)
		errs[i] = normalise(norm[i], vecs[i], dim)
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("add batch: %q: %w", ids[i], err)
		}
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	if x.dim != dim {
		return fmt.Errorf("add batch: %w: the index was replaced by one of dimension %d while adding", ErrDimension, x.dim)
	}
	if len(x.slots)+len(last) >= noSlot {
		return fmt.Errorf("add batch: %w: %d vectors held, %d more asked for", ErrFull, len(x.slots), len(last))
	}
	var todo []int // items to insert, in input order
	for i, id := range ids {
		if norm[i] == nil {
			continue
		}
		if s, ok := x.slots[id]; ok {
			if slices.Equal(x.vec(s), norm[i]) {
				continue
			}
			x.remove(s)
		}
		todo = append(todo, i)
	}
	x.reserve(len(todo))
	for start := 0; start < len(todo); start += batchChunk {
		chunk := todo[start:min(start+batchChunk, len(todo))]
		if err := x.insertChunk(chunk, ids, norm); err != nil {
			return fmt.Errorf("add batch: %w", err)
		}
	}
	return nil
}

// insertChunk inserts items (indexes into ids and vecs) as described at
// AddBatch. The caller holds the write lock.
func (x *Index) insertChunk(items []int, ids []string, vecs [][]float32) error {
	type node struct {
		s      uint32
		level  int
		layers [][]cand
	}
	nodes := make([]node, len(items))
	for k, i := range items {
		s, err := x.alloc()
		if err != nil {
			return fmt.Errorf("%q: %w", ids[i], err)
		}
		copy(x.vec(s), vecs[i])
		x.ids[s] = ids[i]
		x.slots[ids[i]] = s
		level := levelFor(x.cfg.Seed, x.inserted, x.ml)
		x.inserted++
		x.levels[s] = uint8(level)
		if level > 0 {
			x.up[s] = make([]uint32, level*(x.cfg.M+1))
		}
		nodes[k] = node{s: s, level: level}
	}
	// Searches against the graph before this chunk: read-only, parallel.
	if x.entry != noSlot {
		parallelFor(len(nodes), func(k int) {
			c := x.getCtx()
			nodes[k].layers = x.candidates(c, x.vec(nodes[k].s), nodes[k].level, nil)
			x.putCtx(c)
		})
	}
	if x.wctx == nil {
		x.wctx = &searchCtx{}
	}
	c := x.wctx
	var cands []cand
	for k, nd := range nodes {
		if x.entry == noSlot {
			x.entry, x.top = nd.s, nd.level
			continue
		}
		q := x.vec(nd.s)
		for lc := nd.level; lc >= 0; lc-- {
			cands = cands[:0]
			if lc < len(nd.layers) {
				cands = append(cands, nd.layers[lc]...)
			}
			for _, p := range nodes[:k] {
				if p.level >= lc {
					cands = append(cands, cand{x.dist(q, p.s), p.s})
				}
			}
			if len(cands) == 0 {
				continue
			}
			slices.SortFunc(cands, cmpCand)
			x.connect(c, nd.s, lc, cands)
		}
		if nd.level > x.top {
			x.entry, x.top = nd.s, nd.level
		}
	}
	return nil
}

// parallelFor calls f(0..n-1) on GOMAXPROCS goroutines.
func parallelFor(n int, f func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
