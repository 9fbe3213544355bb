package index

import (
	"math"
	"slices"
	"unsafe"
)

// searchCtx holds the scratch state of one graph walk, reused through a
// sync.Pool so that a search allocates little in its loop.
type searchCtx struct {
	// seen maps a slot to the stamp of the walk that last visited it. One
	// byte per slot (1 MB at 1M slots, not 4 MB), so that more of it stays
	// in cache beside the codes: a 1M walk at ef 384 took about 20% less
	// time (docs/scale.md); the array is cleared once every 255 walks.
	seen   []uint8
	stamp  uint8
	cand   minHeap
	res    maxHeap
	w      []cand   // sorted results of the last layer
	sel    []cand   // heuristic selection
	nb     []cand   // neighbours chosen for the node being inserted
	layers [][]cand // insertion candidates per layer
	batch  []uint32 // unvisited neighbours of the node being expanded
	tmp    []cand   // candidates for shrinking or repairing a link list
	pruned []cand   // candidates the heuristic discarded
	q      query    // the walk's query
	nq     query    // a node's query (neighbour selection)
	unit   []float32
	y, z   []float32 // projection scratch (dim, cdim)
	ids    []string
	vecs   [][]float32
	b      []bcand // candidates with lower bounds (re-ranking)
	kept0  int     // selectNeighbours: candidates its heuristic kept, -1 if it did not run
	rs     []lcand // reselect's list
	rsTmp  []lcand // sortRuns' scratch
	fresh  []cand  // reselect: members kept now that were not before
}

// visitReset starts a new walk over n slots.
func (c *searchCtx) visitReset(n int) {
	if len(c.seen) < n {
		c.seen = make([]uint8, n+n/4+64)
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
// for the layer's maximum number of neighbours. A block that an index file
// places out of range comes back empty.
func (x *Index) block(s uint32, lc int) []uint32 {
	if lc == 0 {
		st := x.cfg.m0() + 1
		i := int(s) * st
		return x.l0[i : i+st : i+st]
	}
	st := x.cfg.M + 1
	i := int(x.upOff[s]) + (lc-1)*st
	if lc > int(x.levels[s]) || i+st > len(x.upLinks) {
		return nil
	}
	return x.upLinks[i : i+st : i+st]
}

// links returns the neighbours of slot s on layer lc.
func (x *Index) links(s uint32, lc int) []uint32 {
	b := x.block(s, lc)
	if len(b) == 0 {
		return nil
	}
	n := min(int(b[0]), len(b)-1)
	return b[1 : 1+n]
}

func (x *Index) maxLinks(lc int) int {
	if lc == 0 {
		return x.cfg.m0()
	}
	return x.cfg.M
}

// dist is the approximate cosine distance from the prepared query q to
// slot s.
func (x *Index) dist(q *query, s uint32) float32 {
	if len(q.iv) != 0 {
		return 1 - (q.c0 + x.bias(s) + q.is*float32(dotCode16(q.iv, x.kcode(s))))
	}
	return 1 - (q.c0 + x.bias(s) + dotCode(q.v, x.kcode(s)))
}

// nodeQuery prepares slot s as a query into q (float32 form: searches and
// range queries, whose error bounds assume it).
func (x *Index) nodeQuery(q *query, s uint32) { x.cb.prepareCode(q, x.code(s), x.bias(s)) }

// linkQuery prepares slot s as a query into q in the integer form that
// building and repairing the graph use (see prepareLink).
func (x *Index) linkQuery(q *query, s uint32) { x.cb.prepareLink(q, x.code(s), x.bias(s)) }

// greedy walks layer lc from ep towards q, moving to the nearest neighbour
// until none is nearer (a search with ef = 1).
func (x *Index) greedy(q *query, ep cand, lc int) cand {
	n := uint32(x.slots())
	for moved := true; moved; {
		moved = false
		for _, t := range x.links(ep.s, lc) {
			if t >= n || t+1 == q.hide {
				continue
			}
			if d := x.dist(q, t); d < ep.d || (d == ep.d && t < ep.s) {
				ep, moved = cand{d, t}, true
			}
		}
	}
	return ep
}

// prefetch asks for slot s's row (code and bias) ahead of time: the walk
// jumps around the array, so the hardware prefetcher cannot guess the
// address.
func (x *Index) prefetch(s uint32) {
	r := rowLen(x.cb.cdim)
	prefetchLines(unsafe.Pointer(&x.codes[int(s)*r]), (r+63)/64)
}

// prefetchLinks asks for slot s's link block on layer lc ahead of time.
func (x *Index) prefetchLinks(s uint32, lc int) {
	if lc == 0 {
		st := x.cfg.m0() + 1
		if i := int(s) * st; i < len(x.l0) {
			prefetchLines(unsafe.Pointer(&x.l0[i]), (st*4+63)/64)
		}
	}
}

// searchLayer is the paper's algorithm 2: a best-first walk of layer lc from
// the entry points eps, keeping the ef nearest nodes found in c.res. It stops
// when the nearest unexpanded candidate is farther than the farthest kept
// result.
func (x *Index) searchLayer(c *searchCtx, q *query, eps []cand, ef, lc int) {
	n := uint32(x.slots())
	c.visitReset(int(n))
	seen, stamp := c.seen, c.stamp
	c.cand.reset()
	c.res.reset()
	for _, e := range eps {
		if seen[e.s] == stamp {
			continue
		}
		seen[e.s] = stamp
		c.cand.push(e)
		if e.s+1 == q.hide {
			continue // a hidden entry point: walked from, never kept
		}
		c.res.push(e)
		if c.res.len() > ef {
			c.res.pop()
		}
	}
	if h := q.hide; h != 0 && h-1 < n {
		seen[h-1] = stamp
	}
	for c.cand.len() > 0 {
		cur := c.cand.pop()
		if c.res.len() > 0 && cur.d > c.res.top().d {
			break
		}
		if c.cand.len() > 0 {
			x.prefetchLinks(c.cand.top().s, lc) // likely the next one expanded
		}
		// Every unvisited neighbour's code is requested before the first
		// distance, so that the misses overlap instead of following one
		// another.
		nb := c.batch[:0]
		for _, t := range x.links(cur.s, lc) {
			if t < n && seen[t] != stamp {
				seen[t] = stamp
				nb = append(nb, t)
				x.prefetch(t)
			}
		}
		c.batch = nb
		for _, t := range nb {
			d := x.dist(q, t)
			if c.res.len() < ef || d < c.res.top().d {
				e := cand{d, t}
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
func (x *Index) descend(q *query, stop int) cand {
	ep := cand{x.dist(q, x.entry), x.entry}
	if x.entry+1 == q.hide {
		// The hidden node is the entry point: the walk leaves it for its
		// nearest neighbour (searchLayer never keeps it).
		ep.d = float32(math.Inf(1))
	}
	for lc := x.top; lc > stop; lc-- {
		ep = x.greedy(q, ep, lc)
	}
	return ep
}

// candidates runs the insertion search for a node with query q and top
// layer level: a greedy descent to layer level, then an
// EfConstruction-bounded search on each layer min(level, top)..0, each
// seeded with the previous layer's results. out[lc] receives layer lc's
// candidates, nearest first; out and its lists are reused, and the result
// has min(level, top)+1 lists. The graph must not be empty.
func (x *Index) candidates(c *searchCtx, q *query, level int, out [][]cand) [][]cand {
	low := min(level, x.top)
	for len(out) <= low {
		out = append(out, nil)
	}
	out = out[:low+1]
	c.w = append(c.w[:0], x.descend(q, level))
	for lc := low; lc >= 0; lc-- {
		x.searchLayer(c, q, c.w, x.cfg.EfConstruction, lc)
		c.w = c.res.drainSorted(c.w[:0])
		out[lc] = append(out[lc][:0], c.w...)
	}
	return out
}

// selectNeighbours is the paper's algorithm 4 (without extending the
// candidates, as in hnswlib): walking cands in ascending distance, a
// candidate is kept only if it is nearer to the base node than to every
// candidate already kept, which spreads the links over directions instead of
// spending them all on one tight cluster; then, unlike hnswlib, the list is
// filled up to m with the nearest discarded candidates (see keepPruned).
// When there are only m or fewer candidates, all are kept. c.kept0 is set
// to the number of candidates the heuristic kept (the front of the
// result), or -1 when it did not run.
func (x *Index) selectNeighbours(c *searchCtx, dst, cands []cand, m int) []cand {
	c.kept0 = -1
	if len(cands) <= m {
		return append(dst, cands...)
	}
	base := len(dst)
	pruned := c.pruned[:0]
	for _, e := range cands {
		if len(dst)-base >= m {
			break
		}
		if !x.dominated(c, e, dst[base:]) {
			dst = append(dst, e)
		} else if keepPruned {
			pruned = append(pruned, e)
		}
	}
	c.kept0 = len(dst) - base
	for _, e := range pruned {
		if len(dst)-base >= m {
			break
		}
		dst = append(dst, e)
	}
	c.pruned = pruned
	return dst
}

// dominated is the heuristic's test: whether a member of kept is nearer to
// e than e is to the list's owner (e.d), each distance taken from e's
// integer query (prepared into c.nq).
func (x *Index) dominated(c *searchCtx, e cand, kept []cand) bool {
	if len(kept) == 0 {
		return false
	}
	x.linkQuery(&c.nq, e.s)
	for _, k := range kept {
		if x.dist(&c.nq, k.s) < e.d {
			return true
		}
	}
	return false
}

// keepPruned fills a link list that the heuristic left short with the
// nearest candidates it discarded (the paper's keepPrunedConnections). On
// vectors fitted to real fc6 features, which come in tight groups (several
// views of one scene), the heuristic alone left 6.9% of the 100,000 nodes
// with fewer than 4 bottom-layer links and recall@10 at 0.966 (ef 64);
// filling the lists raised it to 0.984 (0.9915 at ef 128) for a build about
// 1.4 times as long. A variable only so that benchmarks can compare.
var keepPruned = true

// addLink adds the edge n → s (at distance d) on layer lc. A full list is
// re-selected with the heuristic from its members plus s.
func (x *Index) addLink(c *searchCtx, n, s uint32, d float32, lc int) {
	b := x.block(n, lc)
	if len(b) == 0 {
		return
	}
	cnt := int(b[0])
	if cnt < x.maxLinks(lc) {
		b[1+cnt] = s
		b[0]++
		x.linkDistAppend(n, lc, cnt, d)
		return
	}
	if x.reselect(c, n, lc, s, d) {
		return
	}
	c.tmp = x.linkDists(c, c.tmp[:0], n, lc, b[1:1+cnt])
	c.tmp = append(c.tmp, cand{d, s})
	x.setLinks(c, n, lc, c.tmp)
}

// setLinks sorts cands (distances from n) and stores the heuristic's choice
// of at most maxLinks(lc) of them as n's links on layer lc.
func (x *Index) setLinks(c *searchCtx, n uint32, lc int, cands []cand) {
	slices.SortFunc(cands, cmpCand)
	sel := x.selectNeighbours(c, c.sel[:0], cands, x.maxLinks(lc))
	x.writeLinks(n, lc, sel, c.kept0)
	c.sel = sel
}

// writeLinks stores the slots of nb, in order, as n's links on layer lc;
// kept is the number at its front that the heuristic kept, the others
// being the ones it discarded, or -1 if it did not choose them.
func (x *Index) writeLinks(n uint32, lc int, nb []cand, kept int) {
	b := x.block(n, lc)
	b[0] = uint32(len(nb))
	for i, e := range nb {
		b[1+i] = e.s
	}
	x.linkDistSet(n, lc, nb, kept)
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
