package index

import "slices"

// searchCtx holds the scratch state of one graph walk, reused through a
// sync.Pool so that a search allocates nothing in its loop.
type searchCtx struct {
	seen   []uint32 // slot → stamp of the walk that last visited it
	stamp  uint32
	cand   minHeap
	res    maxHeap
	w      []cand    // sorted results of the last layer
	sel    []cand    // heuristic selection
	nb     []cand    // neighbours chosen for the node being inserted
	layers [][]cand  // insertion candidates per layer
	batch  []uint32  // unvisited neighbours of the node being expanded
	tmp    []cand    // candidates for shrinking or repairing a link list
	q      []float32 // normalised query
}

// visitReset starts a new walk over n slots.
func (c *searchCtx) visitReset(n int) {
	if len(c.seen) < n {
		c.seen = make([]uint32, n+n/4+64)
		c.stamp = 0
	}
	c.stamp++
	if c.stamp == 0 { // wrapped: old stamps could alias, start clean
		clear(c.seen)
		c.stamp = 1
	}
}

func (x *Index) getCtx() *searchCtx {
	if c, ok := x.ctxPool.Get().(*searchCtx); ok {
		return c
	}
	return &searchCtx{}
}

func (x *Index) putCtx(c *searchCtx) { x.ctxPool.Put(c) }

// block returns slot s's link block on layer lc: a count followed by room
// for the layer's maximum number of neighbours.
func (x *Index) block(s uint32, lc int) []uint32 {
	if lc == 0 {
		st := x.cfg.m0() + 1
		i := int(s) * st
		return x.l0[i : i+st : i+st]
	}
	st := x.cfg.M + 1
	return x.up[s][(lc-1)*st : lc*st : lc*st]
}

// links returns the neighbours of slot s on layer lc.
func (x *Index) links(s uint32, lc int) []uint32 {
	b := x.block(s, lc)
	return b[1 : 1+b[0]]
}

func (x *Index) maxLinks(lc int) int {
	if lc == 0 {
		return x.cfg.m0()
	}
	return x.cfg.M
}

func (x *Index) dist(q []float32, s uint32) float32 { return cosDist(dot(q, x.vec(s))) }

// greedy walks layer lc from ep towards q, moving to the nearest neighbour
// until none is nearer (a search with ef = 1).
func (x *Index) greedy(q []float32, ep cand, lc int) cand {
	for moved := true; moved; {
		moved = false
		for _, n := range x.links(ep.s, lc) {
			if d := x.dist(q, n); d < ep.d || (d == ep.d && n < ep.s) {
				ep, moved = cand{d, n}, true
			}
		}
	}
	return ep
}

// prefetchMax is how many cache lines (of 64 bytes) at the head of the next
// vector a walk asks for ahead of time (a variable only so that
// BenchmarkPrefetch can turn it off): 4 to 16 lines gave the same gain,
// 64 and 256 less.
var prefetchMax = 16

// searchLayer is the paper's algorithm 2: a best-first walk of layer lc from
// the entry points eps, keeping the ef nearest nodes found in c.res. It stops
// when the nearest unexpanded candidate is farther than the farthest kept
// result.
func (x *Index) searchLayer(c *searchCtx, q []float32, eps []cand, ef, lc int) {
	c.visitReset(len(x.ids))
	seen, stamp := c.seen, c.stamp
	lines := min(prefetchMax, (x.dim*4+63)/64)
	c.cand.reset()
	c.res.reset()
	for _, e := range eps {
		if seen[e.s] == stamp {
			continue
		}
		seen[e.s] = stamp
		c.cand.push(e)
		c.res.push(e)
		if c.res.len() > ef {
			c.res.pop()
		}
	}
	for c.cand.len() > 0 {
		cur := c.cand.pop()
		if cur.d > c.res.top().d {
			break
		}
		nb := c.batch[:0]
		for _, n := range x.links(cur.s, lc) {
			if seen[n] != stamp {
				seen[n] = stamp
				nb = append(nb, n)
			}
		}
		c.batch = nb
		// Start loading the head of the next vector while the current
		// one is multiplied: the walk jumps around the slab, so the
		// hardware prefetcher cannot guess the next address
		// (BenchmarkPrefetch).
		if len(nb) > 0 {
			prefetchLines(&x.vecs[int(nb[0])*x.dim], lines)
		}
		for i, n := range nb {
			if i+1 < len(nb) {
				prefetchLines(&x.vecs[int(nb[i+1])*x.dim], lines)
			}
			d := x.dist(q, n)
			if c.res.len() < ef || d < c.res.top().d {
				e := cand{d, n}
				c.cand.push(e)
				c.res.push(e)
				if c.res.len() > ef {
					c.res.pop()
				}
			}
		}
	}
}

// descend runs the greedy walk from the entry point down to layer stop+1
// and returns the entry point for layer stop.
func (x *Index) descend(q []float32, stop int) cand {
	ep := cand{x.dist(q, x.entry), x.entry}
	for lc := x.top; lc > stop; lc-- {
		ep = x.greedy(q, ep, lc)
	}
	return ep
}

// insert links the node in slot s (vector stored, level set, links empty)
// into the graph on layers level..0.
func (x *Index) insert(s uint32, level int) {
	if x.entry == noSlot {
		x.entry, x.top = s, level
		return
	}
	if x.wctx == nil {
		x.wctx = &searchCtx{}
	}
	c := x.wctx
	c.layers = x.candidates(c, x.vec(s), level, c.layers)
	for lc := min(level, x.top); lc >= 0; lc-- {
		x.connect(c, s, lc, c.layers[lc])
	}
	if level > x.top {
		x.entry, x.top = s, level
	}
}

// candidates runs the insertion search for a node with vector q and top
// layer level: a greedy descent to layer level, then an
// EfConstruction-bounded search on each layer min(level, top)..0, each
// seeded with the previous layer's results. out[lc] receives layer lc's
// candidates, nearest first; out is reused. The graph must not be empty.
func (x *Index) candidates(c *searchCtx, q []float32, level int, out [][]cand) [][]cand {
	low := min(level, x.top)
	for len(out) <= low {
		out = append(out, nil)
	}
	c.w = append(c.w[:0], x.descend(q, level))
	for lc := low; lc >= 0; lc-- {
		x.searchLayer(c, q, c.w, x.cfg.EfConstruction, lc)
		c.w = c.res.drainSorted(c.w[:0])
		out[lc] = append(out[lc][:0], c.w...)
	}
	return out
}

// connect gives slot s its links on layer lc, chosen by the heuristic from
// cands (sorted, distances from s), and adds the reverse links.
func (x *Index) connect(c *searchCtx, s uint32, lc int, cands []cand) {
	c.nb = x.selectNeighbours(c.nb[:0], cands, x.cfg.M)
	b := x.block(s, lc)
	b[0] = uint32(len(c.nb))
	for i, n := range c.nb {
		b[1+i] = n.s
	}
	for _, n := range c.nb {
		x.link(c, n.s, s, n.d, lc)
	}
}

// selectNeighbours is the paper's algorithm 4 (without extending or keeping
// pruned candidates, as in hnswlib): walking cands in ascending distance, a
// candidate is kept only if it is nearer to the base node than to every
// candidate already kept, which spreads the links over directions instead of
// spending them all on one tight cluster. At most m are kept; when there are
// only m or fewer candidates, all are kept.
func (x *Index) selectNeighbours(dst, cands []cand, m int) []cand {
	if len(cands) <= m {
		return append(dst, cands...)
	}
	base := len(dst)
	for _, e := range cands {
		if len(dst)-base >= m {
			break
		}
		ve := x.vec(e.s)
		keep := true
		for _, r := range dst[base:] {
			if cosDist(dot(ve, x.vec(r.s))) < e.d {
				keep = false
				break
			}
		}
		if keep {
			dst = append(dst, e)
		}
	}
	return dst
}

// link adds the edge n → s (at distance d) on layer lc. A full list is
// re-selected with the heuristic from its members plus s.
func (x *Index) link(c *searchCtx, n, s uint32, d float32, lc int) {
	b := x.block(n, lc)
	cnt := int(b[0])
	if cnt < x.maxLinks(lc) {
		b[1+cnt] = s
		b[0]++
		return
	}
	vn := x.vec(n)
	c.tmp = c.tmp[:0]
	for _, o := range b[1 : 1+cnt] {
		c.tmp = append(c.tmp, cand{cosDist(dot(vn, x.vec(o))), o})
	}
	c.tmp = append(c.tmp, cand{d, s})
	x.setLinks(c, n, lc, c.tmp)
}

// setLinks sorts cands (distances from n) and stores the heuristic's choice
// of at most maxLinks(lc) of them as n's links on layer lc.
func (x *Index) setLinks(c *searchCtx, n uint32, lc int, cands []cand) {
	slices.SortFunc(cands, cmpCand)
	sel := x.selectNeighbours(c.sel[:0], cands, x.maxLinks(lc))
	b := x.block(n, lc)
	b[0] = uint32(len(sel))
	for i, e := range sel {
		b[1+i] = e.s
	}
	c.sel = sel
}

// remove unlinks slot d from every layer and frees it. Each node that linked
// to d gets its list re-selected from its other neighbours plus d's
// neighbours, so paths that went through d keep a way around it.
func (x *Index) remove(d uint32) {
	if x.wctx == nil {
		x.wctx = &searchCtx{}
	}
	c := x.wctx
	dl := int(x.levels[d])
	var dn []uint32
	type orphan struct {
		s  uint32
		lc int
	}
	var orphans []orphan
	for lc := 0; lc <= dl; lc++ {
		dn = append(dn[:0], x.links(d, lc)...)
		for n := range x.ids {
			n := uint32(n)
			if n == d || x.ids[n] == "" || int(x.levels[n]) < lc || !slices.Contains(x.links(n, lc), d) {
				continue
			}
			x.repair(c, n, d, lc, dn)
			if len(x.links(n, lc)) == 0 {
				orphans = append(orphans, orphan{n, lc})
			}
		}
	}
	clear(x.block(d, 0))
	x.up[d] = nil
	x.levels[d] = 0
	delete(x.slots, x.ids[d])
	x.ids[d] = ""
	x.free = append(x.free, d)
	if d == x.entry {
		x.entry, x.top = noSlot, 0
		for s, id := range x.ids {
			if id != "" && (x.entry == noSlot || int(x.levels[s]) > x.top) {
				x.entry, x.top = uint32(s), int(x.levels[s])
			}
		}
	}
	for _, o := range orphans {
		x.relink(c, o.s, o.lc)
	}
}

// relink gives slot n, left without links on layer lc by a delete, new
// links there as if it were being inserted on that layer. If the walk from
// the entry point cannot reach another node of the layer, the layer is
// scanned instead.
func (x *Index) relink(c *searchCtx, n uint32, lc int) {
	q := x.vec(n)
	ep := x.descend(q, lc)
	x.searchLayer(c, q, []cand{ep}, x.cfg.EfConstruction, lc)
	c.w = c.res.drainSorted(c.w[:0])
	c.w = slices.DeleteFunc(c.w, func(e cand) bool { return e.s == n })
	if len(c.w) == 0 {
		for s, id := range x.ids {
			if s := uint32(s); s != n && id != "" && int(x.levels[s]) >= lc {
				c.w = append(c.w, cand{x.dist(q, s), s})
			}
		}
		slices.SortFunc(c.w, cmpCand)
		c.w = c.w[:min(len(c.w), x.cfg.EfConstruction)]
	}
	c.nb = x.selectNeighbours(c.nb[:0], c.w, x.cfg.M)
	b := x.block(n, lc)
	b[0] = uint32(len(c.nb))
	for i, e := range c.nb {
		b[1+i] = e.s
	}
	for _, e := range c.nb {
		if !slices.Contains(x.links(e.s, lc), n) {
			x.link(c, e.s, n, e.d, lc)
		}
	}
}

// cmpCand orders candidates by distance, then slot.
func cmpCand(a, b cand) int {
	if a.before(b) {
		return -1
	}
	if b.before(a) {
		return 1
	}
	return 0
}

// repair replaces n's link to the deleted d on layer lc: the new list is
// chosen by the heuristic from n's other neighbours and d's neighbours dn.
func (x *Index) repair(c *searchCtx, n, d uint32, lc int, dn []uint32) {
	c.visitReset(len(x.ids))
	c.seen[n], c.seen[d] = c.stamp, c.stamp
	vn := x.vec(n)
	c.tmp = c.tmp[:0]
	for _, list := range [2][]uint32{x.links(n, lc), dn} {
		for _, o := range list {
			if c.seen[o] == c.stamp {
				continue
			}
			c.seen[o] = c.stamp
			c.tmp = append(c.tmp, cand{cosDist(dot(vn, x.vec(o))), o})
		}
	}
	x.setLinks(c, n, lc, c.tmp)
}
