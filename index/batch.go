package index

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// batchChunk is the number of new nodes whose insertion searches run in
// parallel against the same graph state. It is a constant, not the number of
// cores, so that a batch builds the same graph on any machine.
const batchChunk = 64

// encoded is one vector ready to be linked: its code and bias.
type encoded struct {
	id     string
	ver    uint64
	code   []int8
	bias   float32
	errs   [2]float32 // residual and quantisation error norms (codeErrors)
	fine   []int8     // fine code (refine)
	ferr   float32    // the error norm the fine code leaves
	yy, zz float64    // |y|², |z|² (drift statistics)
}

// Train fits the codebook (mean, principal directions, quantisation steps)
// to sample and drops every vector already in the index: codes made with
// another codebook cannot be compared with new ones. At most
// Config.TrainSample vectors of sample are used, evenly spaced.
func (x *Index) Train(sample [][]float32) error {
	dim := x.Dim()
	norm, err := normaliseAll(sample, dim, x.Config().TrainSample)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if len(norm) == 0 {
		return fmt.Errorf("train: %w: empty sample", ErrInvalidVector)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.own(); err != nil {
		return err
	}
	x.resetTrained(trainCodebookCfg(norm, dim, x.cfg))
	return nil
}

// resetTrained empties the index and installs cb. The caller holds the
// write lock and has called own.
func (x *Index) resetTrained(cb *codebook) {
	x.cb = cb
	x.codes, x.fine, x.errs, x.levels, x.l0, x.upOff, x.upLinks = nil, nil, nil, nil, nil, nil, nil
	x.idRef, x.idBlob, x.vers, x.htab, x.hfill, x.free, x.live = nil, nil, nil, nil, 0, nil, 0
	x.entry, x.top, x.inserted = noSlot, 0, 0
	x.driftN, x.driftYY, x.driftZ = 0, 0, 0
	x.wctx = nil
	x.ctxPool = sync.Pool{}
}

// normaliseAll checks and normalises up to limit vectors of vs, evenly
// spaced.
func normaliseAll(vs [][]float32, dim, limit int) ([][]float32, error) {
	n := min(len(vs), limit)
	out := make([][]float32, n)
	errs := make([]error, n)
	parallelFor(n, func(i int) {
		j := i * len(vs) / n
		out[i] = make([]float32, dim)
		errs[i] = normalise(out[i], vs[j], dim)
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("vector %d: %w", i*len(vs)/n, err)
		}
	}
	return out, nil
}

// Add inserts vec under id, or replaces the vector already stored under id
// (re-adding an identical vector changes nothing). The vector must have Dim
// components, be finite and not all zero. An untrained index trains its
// codebook on this one vector; prefer AddBatch or Train first.
func (x *Index) Add(id string, vec []float32) error {
	return x.AddBatch([]string{id}, [][]float32{vec})
}

// AddBatch adds or replaces many vectors, using all cores. All vectors are
// checked first: if any is invalid (see Add) or ids and vecs differ in
// length, nothing is added. When an id appears more than once, its last
// vector wins. An untrained index first trains its codebook on (up to
// Config.TrainSample of) these vectors.
//
// Nodes are inserted in chunks of 64: their insertion searches run in
// parallel against the graph as it was before the chunk, then they are
// linked as if one by one, in order, each also considering the chunk's
// earlier nodes as neighbours (the linking itself runs in parallel; see
// insertChunk). The graph is deterministic (Seed, configuration and
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
	dim := x.Dim()
	var keep []int
	for i, id := range ids {
		if last[id] == i {
			keep = append(keep, i)
		}
	}
	norm := make([][]float32, len(keep))
	errs := make([]error, len(keep))
	parallelFor(len(keep), func(j int) {
		norm[j] = make([]float32, dim)
		errs[j] = normalise(norm[j], vecs[keep[j]], dim)
	})
	for j, err := range errs {
		if err != nil {
			return fmt.Errorf("add batch: %q: %w", ids[keep[j]], err)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.dim != dim {
		return fmt.Errorf("add batch: %w: the index was replaced by one of dimension %d while adding", ErrDimension, x.dim)
	}
	if err := x.own(); err != nil {
		return fmt.Errorf("add batch: %w", err)
	}
	if x.cb == nil {
		sample := norm
		if len(sample) > x.cfg.TrainSample {
			sample = make([][]float32, x.cfg.TrainSample)
			for i := range sample {
				sample[i] = norm[i*len(norm)/len(sample)]
			}
		}
		x.resetTrained(trainCodebookCfg(sample, dim, x.cfg))
	}
	items := make([]encoded, len(keep))
	x.encodeAll(norm, func(j int) string { return ids[keep[j]] }, items)
	return x.apply(items, nil, nil)
}

// encodeAll encodes the unit vectors norm into items (in parallel, in
// blocks; see projectBlock). The caller holds a lock and the codebook is
// trained.
func (x *Index) encodeAll(norm [][]float32, id func(int) string, items []encoded) {
	cb := x.cb
	nb := (len(norm) + projBlock - 1) / projBlock
	parallelChunks(nb, func(lo, hi int) {
		ys := make([][]float32, projBlock)
		zs := make([][]float32, projBlock)
		for j := range ys {
			ys[j] = make([]float32, cb.dim)
			zs[j] = make([]float32, cb.cdim)
		}
		bias := make([]float32, projBlock)
		yy := make([]float64, projBlock)
		zz := make([]float64, projBlock)
		for b := lo; b < hi; b++ {
			xs := norm[b*projBlock : min(len(norm), (b+1)*projBlock)]
			cb.projectBlock(xs, ys, zs, bias, yy, zz)
			for j := range xs {
				i := b*projBlock + j
				codes := make([]int8, 2*cb.cdim)
				code, fine := codes[:cb.cdim:cb.cdim], codes[cb.cdim:]
				cb.quantise(zs[j], code)
				ferr := cb.refine(zs[j], code, fine)
				items[i] = encoded{id: id(i), code: code, bias: bias[j], errs: cb.codeErrors(zs[j], code, yy[j], zz[j]),
					fine: fine, ferr: ferr, yy: yy[j], zz: zz[j]}
			}
		}
	})
}

// apply brings the index to: minus the ids in del, plus items (new or
// replacing), reporting progress of the linking. An item whose code and bias
// equal the stored ones only updates its version. The caller holds the write
// lock, has called own and the codebook is trained.
func (x *Index) apply(items []encoded, del []string, progress func(done, total int)) error {
	if x.live+len(items) >= noSlot-1 {
		return fmt.Errorf("%w: %d vectors held, %d more asked for", ErrFull, x.live, len(items))
	}
	var gone []uint32
	for _, id := range del {
		if s, ok := x.lookup(id); ok {
			gone = append(gone, s)
		}
	}
	todo := items[:0:0]
	for _, it := range items {
		if s, ok := x.lookup(it.id); ok {
			// The same encoding in every part (code, bias, fine code and
			// error norms): the stored bounds hold for the new vector.
			if x.bias(s) == it.bias && slices.Equal(x.code(s), it.code) && slices.Equal(x.fineCode(s), it.fine) &&
				x.fineErr(s) == it.ferr && x.errs[2*s] == it.errs[0] && x.errs[2*s+1] == it.errs[1] {
				x.vers[s] = it.ver
				continue
			}
			gone = append(gone, s)
		}
		todo = append(todo, it)
	}
	x.removeSlots(gone)
	x.tabReserve(len(todo))
	x.reserve(len(todo))
	for _, it := range todo {
		x.driftN++
		x.driftYY += it.yy
		x.driftZ += it.zz
	}
	slots := make([]uint32, len(todo))
	for i, it := range todo {
		sl, err := x.alloc(it.id, it.ver)
		if err != nil {
			return fmt.Errorf("%q: %w", it.id, err)
		}
		copy(x.code(sl), it.code)
		x.setBias(sl, it.bias)
		copy(x.fineCode(sl), it.fine)
		x.setFineErr(sl, it.ferr)
		x.errs[2*sl], x.errs[2*sl+1] = it.errs[0], it.errs[1]
		slots[i] = sl
	}
	x.link(slots, progress)
	return nil
}

// link links the allocated, encoded slots into the graph in chunks,
// reporting progress. The caller holds the write lock.
func (x *Index) link(slots []uint32, progress func(done, total int)) {
	if len(slots) == 0 {
		return
	}
	if progress != nil {
		progress(0, len(slots))
	}
	x.linkDistStart()
	defer x.linkDistEnd()
	for start := 0; start < len(slots); start += batchChunk {
		x.insertChunk(slots[start:min(start+batchChunk, len(slots))])
		if afterChunk != nil {
			afterChunk(x)
		}
		if progress != nil {
			progress(min(start+batchChunk, len(slots)), len(slots))
		}
	}
}

// afterChunk, when set (by tests), is called after each chunk that link
// inserts, with the write lock held.
var afterChunk func(x *Index)

// insertChunk links the slots (code, bias and id set) as described at
// AddBatch. The caller holds the write lock.
func (x *Index) insertChunk(slots []uint32) {
	type node struct {
		s     uint32
		level int
	}
	nodes := make([]node, len(slots))
	for k, s := range slots {
		level := levelFor(x.cfg.Seed, x.inserted, x.ml)
		x.inserted++
		x.setLevel(s, level)
		clear(x.block(s, 0))
		x.linkDistEmpty(s)
		nodes[k] = node{s: s, level: level}
	}
	// Each node searches the graph as it was before this chunk, then
	// chooses its own links from those candidates plus the chunk's earlier
	// nodes (reading codes only), all nodes in parallel: one pass, so a
	// node's candidates are chosen while their codes are still in the
	// core's cache. No search reaches a node of the chunk (nothing links to
	// one yet, and the entry point changes only at the end), so the lists
	// written here are never read by the searches running beside them.
	// Then the reverse links are added, grouped by the (node, layer) list
	// they change and applied in node order within a group, groups in
	// parallel. No list is changed by two goroutines, and every list sees
	// the same changes in the same order as linking the nodes one by one
	// would make: the graph is the same.
	first := 0
	if x.entry == noSlot {
		x.entry, x.top = nodes[0].s, nodes[0].level
		first = 1
	}
	search := first == 0
	type edge struct {
		to, from uint32
		lc       int
		k, i     int // node index in the chunk, rank in its list
		d        float32
	}
	edges := make([][]edge, len(nodes))
	parallelFor(len(nodes)-first, func(k int) {
		k += first
		nd := nodes[k]
		c := x.getCtx()
		defer x.putCtx(c)
		x.linkQuery(&c.q, nd.s)
		c.layers = c.layers[:0]
		if search {
			c.layers = x.candidates(c, &c.q, nd.level, c.layers)
		}
		var cands []cand
		for lc := nd.level; lc >= 0; lc-- {
			cands = cands[:0]
			if lc < len(c.layers) {
				cands = append(cands, c.layers[lc]...)
			}
			for _, p := range nodes[:k] {
				if p.level >= lc {
					cands = append(cands, cand{x.dist(&c.q, p.s), p.s})
				}
			}
			if len(cands) == 0 {
				continue
			}
			slices.SortFunc(cands, cmpCand)
			c.nb = x.selectNeighbours(c, c.nb[:0], cands, x.cfg.M)
			x.writeLinks(nd.s, lc, c.nb, c.kept0)
			for i, n := range c.nb {
				edges[k] = append(edges[k], edge{n.s, nd.s, lc, k, i, n.d})
			}
		}
	})
	var all []edge
	for _, e := range edges {
		all = append(all, e...)
	}
	slices.SortFunc(all, func(a, b edge) int {
		if c := cmp.Compare(a.to, b.to); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lc, b.lc); c != 0 {
			return c
		}
		if c := cmp.Compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	var groups []int // start of each (to, lc) group in all
	for i, e := range all {
		if i == 0 || e.to != all[i-1].to || e.lc != all[i-1].lc {
			groups = append(groups, i)
		}
	}
	parallelFor(len(groups), func(g int) {
		end := len(all)
		if g+1 < len(groups) {
			end = groups[g+1]
		}
		c := x.getCtx()
		for _, e := range all[groups[g]:end] {
			x.addLink(c, e.to, e.from, e.d, e.lc)
		}
		x.putCtx(c)
	})
	for _, nd := range nodes[first:] {
		if nd.level > x.top {
			x.entry, x.top = nd.s, nd.level
		}
	}
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
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// parallelChunks calls f on GOMAXPROCS contiguous ranges covering 0..n-1.
func parallelChunks(n int, f func(lo, hi int)) {
	workers := max(1, min(n, runtime.GOMAXPROCS(0)))
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { f(n*w/workers, n*(w+1)/workers) })
	}
	wg.Wait()
}
