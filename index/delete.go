package index

import (
	"fmt"
	"slices"
)

// Delete removes id and relinks the nodes that pointed to it. It reports
// whether id was in the index.
func (x *Index) Delete(id string) bool {
	n, _ := x.DeleteBatch([]string{id})
	return n == 1
}

// DeleteBatch removes every id of ids that is in the index, in one pass over
// the graph, and returns how many it removed.
func (x *Index) DeleteBatch(ids []string) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var gone []uint32
	for _, id := range ids {
		if s, ok := x.lookup(id); ok && !slices.Contains(gone, s) {
			gone = append(gone, s)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	if err := x.own(); err != nil {
		return 0, fmt.Errorf("delete: %w", err)
	}
	x.removeSlots(gone)
	return len(gone), nil
}

// removeSlots unlinks the slots in gone from every layer and frees them.
// Each live node that linked to one of them gets its list re-selected by the
// heuristic from its other neighbours plus the removed nodes' neighbours
// (two hops through removed nodes), so paths that went through them keep a
// way around. One parallel pass over all nodes serves the whole batch. The
// caller holds the write lock and has called own.
func (x *Index) removeSlots(gone []uint32) {
	if len(gone) == 0 {
		return
	}
	n := x.slots()
	dead := make([]bool, n)
	for _, s := range gone {
		dead[s] = true
	}
	type orphan struct {
		s  uint32
		lc int
	}
	orphaned := make([][]orphan, n/4096+1)
	parallelFor(n/4096+1, func(b int) {
		c := &searchCtx{}
		for s := uint32(b * 4096); int(s) < min(n, (b+1)*4096); s++ {
			if dead[s] || len(x.idBytes(s)) == 0 {
				continue
			}
			for lc := 0; lc <= int(x.levels[s]); lc++ {
				ls := x.links(s, lc)
				if !slices.ContainsFunc(ls, func(t uint32) bool { return int(t) < n && dead[t] }) {
					continue
				}
				x.repair(c, s, lc, dead)
				if len(x.links(s, lc)) == 0 {
					orphaned[b] = append(orphaned[b], orphan{s, lc})
				}
			}
		}
	})
	entryGone := false
	for _, d := range gone {
		id := x.idOf(d)
		x.tabDelete(id, d)
		x.idRef[d] = 0
		x.vers[d] = 0
		clear(x.block(d, 0))
		x.levels[d], x.upOff[d] = 0, 0
		x.live--
		x.free = append(x.free, d)
		entryGone = entryGone || d == x.entry
	}
	if entryGone {
		x.entry, x.top = noSlot, 0
		for s := range x.levels {
			if len(x.idBytes(uint32(s))) > 0 && (x.entry == noSlot || int(x.levels[s]) > x.top) {
				x.entry, x.top = uint32(s), int(x.levels[s])
			}
		}
	}
	if x.wctx == nil {
		x.wctx = &searchCtx{}
	}
	for _, os := range orphaned {
		for _, o := range os {
			if x.entry != noSlot && o.s != x.entry {
				x.relink(x.wctx, o.s, o.lc)
			}
		}
	}
}

// repair re-selects slot s's links on layer lc without the dead nodes: the
// candidates are its live neighbours and the live nodes within two hops
// through dead ones. It writes only s's own block and reads only s's and
// dead nodes' blocks, so repairs of different nodes may run in parallel.
func (x *Index) repair(c *searchCtx, s uint32, lc int, dead []bool) {
	n := x.slots()
	c.visitReset(n)
	c.seen[s] = c.stamp
	x.linkQuery(&c.nq, s)
	c.tmp = c.tmp[:0]
	var add func(t uint32, hops int)
	add = func(t uint32, hops int) {
		if int(t) >= n || c.seen[t] == c.stamp {
			return
		}
		c.seen[t] = c.stamp
		if !dead[t] {
			c.tmp = append(c.tmp, cand{x.dist(&c.nq, t), t})
			return
		}
		if hops == 0 {
			return
		}
		for _, u := range x.links(t, lc) {
			add(u, hops-1)
		}
	}
	for _, t := range x.links(s, lc) {
		add(t, 2)
	}
	x.setLinks(c, s, lc, c.tmp)
}

// relink gives slot s, left without links on layer lc by a delete, new
// links there as if it were being inserted on that layer. If the walk from
// the entry point cannot reach another node of the layer, the layer is
// scanned instead.
func (x *Index) relink(c *searchCtx, s uint32, lc int) {
	var q query
	x.linkQuery(&q, s)
	ep := x.descend(&q, lc)
	x.searchLayer(c, &q, []cand{ep}, x.cfg.EfConstruction, lc)
	c.w = c.res.drainSorted(c.w[:0])
	c.w = slices.DeleteFunc(c.w, func(e cand) bool { return e.s == s })
	if len(c.w) == 0 {
		for t := range x.levels {
			if t := uint32(t); t != s && len(x.idBytes(t)) > 0 && int(x.levels[t]) >= lc {
				c.w = append(c.w, cand{x.dist(&q, t), t})
			}
		}
		slices.SortFunc(c.w, cmpCand)
		c.w = c.w[:min(len(c.w), x.cfg.EfConstruction)]
	}
	c.nb = x.selectNeighbours(c, c.nb[:0], c.w, x.cfg.M)
	x.writeLinks(s, lc, c.nb, c.kept0)
	for _, e := range c.nb {
		if !slices.Contains(x.links(e.s, lc), s) {
			x.addLink(c, e.s, s, e.d, lc)
		}
	}
}
