package index

import "slices"

// Bottom-layer link distances and heuristic decisions, kept while link
// runs.
//
// Every reverse link that reaches a full bottom-layer list re-selects the
// list from its members plus the newcomer (selectNeighbours). From scratch
// that reads 2M codes in random order for the owner's distances, and
// compares every candidate with the kept ones before it. link keeps, beside
// each list, the distance from its owner to each member and whether the
// heuristic kept or discarded that member when it last chose the list (or
// neither, for a member appended since). The heuristic walks candidates
// nearest first and each decision depends only on the kept ones before it,
// and the members a list dropped never decided anything about the members
// it kept; so a re-selection needs to test few members again (see
// reselect): usually the newcomer against the kept members before it, and
// the kept members after it against the newcomer. The list it writes is
// the one the heuristic run from scratch with the same distances writes.
// Lists written before link started (an update of an existing graph) are
// re-selected from scratch once.
//
// A member's kept distance is the one its link was made with: the owner's
// own query for the links it chose, the newcomer's query for a reverse link
// (the two differ only by the rounding of the integer queries). The arrays
// live only while link runs: searches never use them, and the index file
// does not hold them.

// Decisions kept per link (l0f).
const (
	linkUndecided uint8 = iota // appended, or chosen without the heuristic
	linkKept
	linkDiscarded // kept in the list to fill it (keepPruned)
)

// lcand is a member of a list being re-selected.
type lcand struct {
	d float32
	s uint32
	f uint8
}

// linkDistStart allocates the arrays for the slots in use, no list known.
func (x *Index) linkDistStart() {
	n := x.slots()
	x.l0d = make([]float32, n*x.cfg.m0())
	x.l0f = make([]uint8, n*x.cfg.m0())
	x.l0dOK = make([]bool, n)
}

// linkDistEnd drops the arrays.
func (x *Index) linkDistEnd() { x.l0d, x.l0f, x.l0dOK = nil, nil, nil }

// linkDistEmpty marks slot s's bottom-layer list, just emptied, as known.
func (x *Index) linkDistEmpty(s uint32) {
	if int(s) < len(x.l0dOK) {
		x.l0dOK[s] = true
	}
}

// linkDistSet records nb, just written as slot n's links on layer lc: the
// first kept were kept by the heuristic and the others discarded (kept < 0:
// not decided).
func (x *Index) linkDistSet(n uint32, lc int, nb []cand, kept int) {
	if lc != 0 || int(n) >= len(x.l0dOK) {
		return
	}
	m0 := x.cfg.m0()
	d, f := x.l0d[int(n)*m0:int(n)*m0+m0], x.l0f[int(n)*m0:int(n)*m0+m0]
	for i, e := range nb {
		d[i] = e.d
		switch {
		case kept < 0:
			f[i] = linkUndecided
		case i < kept:
			f[i] = linkKept
		default:
			f[i] = linkDiscarded
		}
	}
	x.l0dOK[n] = true
}

// linkDistAppend records d as the distance of slot n's i-th link on layer
// lc, just appended.
func (x *Index) linkDistAppend(n uint32, lc, i int, d float32) {
	if lc == 0 && int(n) < len(x.l0dOK) && x.l0dOK[n] {
		j := int(n)*x.cfg.m0() + i
		x.l0d[j], x.l0f[j] = d, linkUndecided
	}
}

// linkDists appends to dst the members of slot n's list on layer lc with
// their distances from n, every member's code requested before the first
// distance.
func (x *Index) linkDists(c *searchCtx, dst []cand, n uint32, lc int, members []uint32) []cand {
	for _, o := range members {
		x.prefetch(o)
	}
	x.linkQuery(&c.nq, n)
	for _, o := range members {
		dst = append(dst, cand{x.dist(&c.nq, o), o})
	}
	return dst
}

// reselect re-selects slot n's full bottom-layer list with the newcomer s
// at distance d, from the kept distances and decisions, as described
// above. It reports false, changing nothing, when the list is not known
// (another layer, or a list from before link started).
func (x *Index) reselect(c *searchCtx, n uint32, lc int, s uint32, d float32) bool {
	if lc != 0 || int(n) >= len(x.l0dOK) || !x.l0dOK[n] {
		return false
	}
	m := x.cfg.m0()
	b := x.block(n, 0)
	cnt := int(b[0])
	row := int(n) * m
	rs := c.rs[:0]
	for i, o := range b[1 : 1+cnt] {
		rs = append(rs, lcand{x.l0d[row+i], o, x.l0f[row+i]})
	}
	rs = append(rs, lcand{d, s, linkUndecided})
	rs, c.rsTmp = sortRuns(rs, c.rsTmp)
	c.rs = rs
	// The heuristic below reads the codes of the members it may keep (the
	// newcomer and those kept before), which are cold: requesting them all
	// first lets their misses overlap.
	for _, e := range rs {
		if e.f != linkDiscarded {
			x.prefetch(e.s)
		}
	}
	// The heuristic over rs, kept members moved to the front of rs in
	// order, discarded ones to c.pruned. A member the last selection kept
	// was nearer to n than to every member kept before it then; of those,
	// only the ones kept now and not then (fresh) can be nearer to it now.
	// A member it discarded was nearer to one of them than to n: while no
	// member it kept has been discarded, that one is still kept.
	kept, pruned, fresh, flipped := 0, c.pruned[:0], c.fresh[:0], false
	for _, e := range rs {
		if kept >= m {
			break
		}
		var keep bool
		switch {
		case e.f == linkKept:
			keep = !x.dominated(c, cand{e.d, e.s}, fresh)
			flipped = flipped || !keep
		case e.f == linkDiscarded && !flipped:
			keep = false
		default:
			keep = !x.dominated(c, cand{e.d, e.s}, c.sel[:kept])
			if keep {
				fresh = append(fresh, cand{e.d, e.s})
			}
		}
		if keep {
			c.sel = append(c.sel[:kept], cand{e.d, e.s})
			kept++
		} else {
			pruned = append(pruned, cand{e.d, e.s})
		}
	}
	c.fresh = fresh
	c.pruned = pruned
	nb := c.sel[:kept]
	for _, e := range pruned {
		if len(nb) >= m {
			break
		}
		nb = append(nb, e)
	}
	c.sel = nb
	x.writeLinks(n, 0, nb, kept)
	return true
}

// before orders link candidates as cand.before does: by distance, then slot.
func (a lcand) before(b lcand) bool { return cand{a.d, a.s}.before(cand{b.d, b.s}) }

// sortRuns sorts rs by (distance, slot) with a natural merge sort, tmp
// being scratch; it returns the sorted slice (rs or tmp) and the other.
// A re-selected list is two runs already in order (its kept members, then
// the fill) and the newcomer, so this costs a few linear passes where a
// general sort compared about m·log m pairs (6% of a 1M build's CPU).
func sortRuns(rs, tmp []lcand) ([]lcand, []lcand) {
	n := len(rs)
	tmp = slices.Grow(tmp[:0], n)[:n]
	for {
		// One pass: merge each pair of adjacent runs of rs into tmp.
		runs, i := 0, 0
		for i < n {
			a := i + 1
			for a < n && !rs[a].before(rs[a-1]) {
				a++
			}
			b := a
			if b < n {
				b++
				for b < n && !rs[b].before(rs[b-1]) {
					b++
				}
			}
			// merge rs[i:a] and rs[a:b] into tmp[i:b]
			l, r, k := i, a, i
			for l < a && r < b {
				if rs[r].before(rs[l]) {
					tmp[k] = rs[r]
					r++
				} else {
					tmp[k] = rs[l]
					l++
				}
				k++
			}
			k += copy(tmp[k:], rs[l:a])
			copy(tmp[k:], rs[r:b])
			runs++
			i = b
		}
		rs, tmp = tmp, rs
		if runs <= 1 {
			return rs, tmp
		}
	}
}
