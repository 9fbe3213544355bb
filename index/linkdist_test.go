package index

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLinkDistsKept: while link runs, every bottom-layer distance it keeps
// is the distance from the list's owner to that member, up to the rounding
// of the integer queries of the owner and the member (TestLinkQueryError's
// bound, both ways); lists it holds cover every inserted node; and the
// arrays are gone when link returns. The second batch grows a graph built
// by the first, whose lists start unknown.
func TestLinkDistsKept(t *testing.T) {
	x, ids, base := linkTestIndex(t)
	l1 := func(s uint32) float64 {
		var a float64
		for _, v := range x.code(s) {
			a += math.Abs(float64(v))
		}
		return a
	}
	checked, chunks := 0, 0
	afterChunk = func(x *Index) {
		chunks++
		var q query
		for n := range uint32(x.slots()) {
			if !x.l0dOK[n] {
				continue
			}
			x.linkQuery(&q, n)
			for i, o := range x.links(n, 0) {
				got, want := x.l0d[int(n)*x.cfg.m0()+i], x.dist(&q, o)
				bound := float64(x.cb.linkS)/2*(l1(n)+l1(o)) + 2e-5
				if g := math.Abs(float64(got - want)); g > bound {
					t.Fatalf("chunk %d: slot %d's link %d (slot %d): kept %v, computed %v, gap %g above %g", chunks, n, i, o, got, want, g, bound)
				}
				checked++
			}
		}
	}
	defer func() { afterChunk = nil }()
	if err := x.AddBatch(ids[:600], base[:600]); err != nil {
		t.Fatal(err)
	}
	if x.l0d != nil || x.l0dOK != nil {
		t.Fatal("link distances kept after link returned")
	}
	if err := x.AddBatch(ids[600:], base[600:]); err != nil {
		t.Fatal(err)
	}
	if err := x.checkStructure(); err != nil {
		t.Fatal(err)
	}
	// With M 4 every list fills and is re-selected many times; most kept
	// distances are checked after many chunks.
	if checked < 10*len(base) {
		t.Fatalf("only %d kept distances checked over %d chunks", checked, chunks)
	}
	t.Logf("%d kept distances checked over %d chunks", checked, chunks)
}

// TestReselectFromScratch: a re-selection that reuses the kept decisions
// writes the list that the heuristic run from scratch over the members and
// the newcomer (same distances, same comparisons) writes, for newcomers
// that land anywhere in the list; and records its decisions so that the
// next one can reuse them.
func TestReselectFromScratch(t *testing.T) {
	x, ids, base := linkTestIndex(t)
	// scratch is the heuristic over cands (sorted) from scratch.
	scratch := func(cands []cand, m int) []uint32 {
		var kept, pruned []cand
		var q query
		for _, e := range cands {
			if len(kept) >= m {
				break
			}
			x.linkQuery(&q, e.s)
			keep := true
			for _, k := range kept {
				if x.dist(&q, k.s) < e.d {
					keep = false
					break
				}
			}
			if keep {
				kept = append(kept, e)
			} else {
				pruned = append(pruned, e)
			}
		}
		var out []uint32
		for _, e := range append(kept, pruned...) {
			if len(out) < m {
				out = append(out, e.s)
			}
		}
		return out
	}
	tried, reused := 0, 0
	afterChunk = func(x *Index) {
		c := &searchCtx{}
		m0 := x.cfg.m0()
		var q query
		for n := uint32(0); n < uint32(x.slots()); n += 7 {
			if !x.l0dOK[n] || len(x.links(n, 0)) < m0 {
				continue
			}
			blk := slices.Clone(x.block(n, 0))
			d := slices.Clone(x.l0d[int(n)*m0 : int(n)*m0+m0])
			f := slices.Clone(x.l0f[int(n)*m0 : int(n)*m0+m0])
			for _, s := range []uint32{(n + 1) % uint32(x.slots()), x.links(n, 0)[0] ^ 1, (n * 31) % uint32(x.slots())} {
				if s == n || slices.Contains(x.links(n, 0), s) {
					continue
				}
				x.linkQuery(&q, s)
				ds := x.dist(&q, n)
				var cands []cand
				for i, o := range x.links(n, 0) {
					cands = append(cands, cand{d[i], o})
				}
				cands = append(cands, cand{ds, s})
				slices.SortFunc(cands, cmpCand)
				want := scratch(cands, m0)
				if slices.Contains(f[:len(x.links(n, 0))], linkKept) {
					reused++
				}
				if !x.reselect(c, n, 0, s, ds) {
					t.Fatalf("slot %d: known list not re-selected", n)
				}
				if got := x.links(n, 0); !slices.Equal(got, want) {
					t.Fatalf("slot %d + %d: re-selected %v, from scratch %v", n, s, got, want)
				}
				tried++
				copy(x.block(n, 0), blk)
				copy(x.l0d[int(n)*m0:], d)
				copy(x.l0f[int(n)*m0:], f)
			}
		}
	}
	defer func() { afterChunk = nil }()
	if err := x.AddBatch(ids, base); err != nil {
		t.Fatal(err)
	}
	if tried < 1000 || reused < tried/2 {
		t.Fatalf("only %d re-selections compared (%d with kept decisions)", tried, reused)
	}
	t.Logf("%d re-selections compared, %d reusing kept decisions", tried, reused)
}

// linkTestIndex returns an empty index with M 4 (every bottom-layer list
// fills and is re-selected many times) and 1,200 fc6-like vectors for it.
func linkTestIndex(t *testing.T) (*Index, []string, [][]float32) {
	base, _ := fc6Data(1200, 0)
	ids := make([]string, len(base))
	for i := range ids {
		ids[i] = idOf(i)
	}
	return mustNew(t, len(base[0]), Config{EfConstruction: 32, M: 4}), ids, base
}

// TestSortRuns: the natural merge sort orders link candidates as a general
// sort does, whatever runs they come in (reselect's two runs and a
// newcomer, random order, already sorted, reversed, ties of distance).
func TestSortRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var buf, tmp []lcand
	for trial := range 2000 {
		n := 1 + rng.IntN(70)
		rs := make([]lcand, n)
		for i := range rs {
			rs[i] = lcand{float32(rng.IntN(40)) / 8, uint32(rng.IntN(1000)), uint8(i % 3)}
		}
		switch trial % 4 {
		case 0: // two sorted runs and one more
			k := rng.IntN(n)
			slices.SortFunc(rs[:k], cmpL)
			slices.SortFunc(rs[k:n-1], cmpL)
		case 1:
			slices.SortFunc(rs, cmpL)
		case 2:
			slices.SortFunc(rs, cmpL)
			slices.Reverse(rs)
		}
		want := slices.Clone(rs)
		buf = append(buf[:0], rs...)
		var got []lcand
		got, tmp = sortRuns(buf, tmp)
		buf = got
		for i := 1; i < len(got); i++ {
			if got[i].before(got[i-1]) {
				t.Fatalf("trial %d: not in order at %d: %v", trial, i, got)
			}
		}
		if !sameMultiset(got, want) {
			t.Fatalf("trial %d: %v is not a permutation of %v", trial, got, rs)
		}
	}
}

func cmpL(a, b lcand) int { return cmpCand(cand{a.d, a.s}, cand{b.d, b.s}) }

func sameMultiset(a, b []lcand) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[lcand]int{}
	for _, e := range a {
		count[e]++
	}
	for _, e := range b {
		count[e]--
	}
	for _, v := range count {
		if v != 0 {
			return false
		}
	}
	return true
}
