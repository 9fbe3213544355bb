package index

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// checkGraph verifies the structural invariants: links point to live nodes
// that exist on the layer, lists respect their limits, the entry point is a
// live node on the top layer, and free slots are unlinked.
func checkGraph(t *testing.T, x *Index) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(x.slots) == 0 {
		if x.entry != noSlot {
			t.Fatal("empty index has an entry point")
		}
		return
	}
	if x.entry == noSlot || x.ids[x.entry] == "" || int(x.levels[x.entry]) != x.top {
		t.Fatalf("entry %d (top %d) is not a live node on the top layer", x.entry, x.top)
	}
	for s, id := range x.ids {
		s := uint32(s)
		if id == "" {
			if x.block(s, 0)[0] != 0 || x.up[s] != nil {
				t.Fatalf("free slot %d still has links", s)
			}
			continue
		}
		if x.slots[id] != s || int(x.levels[s]) > x.top {
			t.Fatalf("slot %d (%q) inconsistent", s, id)
		}
		for lc := 0; lc <= int(x.levels[s]); lc++ {
			ls := x.links(s, lc)
			if len(ls) > x.maxLinks(lc) {
				t.Fatalf("slot %d has %d links on layer %d", s, len(ls), lc)
			}
			for _, n := range ls {
				if n == s || x.ids[n] == "" || int(x.levels[n]) < lc {
					t.Fatalf("slot %d links on layer %d to %d (id %q, level %d)", s, lc, n, x.ids[n], x.levels[n])
				}
			}
		}
	}
}

// TestDeletesAndUpdatesKeepRecall deletes 30% of an index and updates 10%,
// then checks that no deleted id or stale vector comes back and that recall
// stays high.
func TestDeletesAndUpdatesKeepRecall(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 800
	}
	m := mixture{Dim: 256, Components: 20, Latent: 8, Spread: 1, Noise: 0.5, Seed: 77}
	base, qs := m.generate(n, 150)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = idOf(i)
	}
	x := mustNew(t, m.Dim, Config{EfConstruction: 100, ExactBelow: -1, Seed: 1})
	if err := x.AddBatch(ids, base); err != nil {
		t.Fatal(err)
	}
	checkGraph(t, x)
	before, err := x.Recall(qs, SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(4, 4))
	deleted := map[string]bool{}
	updated := map[string][]float32{}
	for _, i := range rng.Perm(n)[:n*4/10] {
		if len(deleted) < n*3/10 {
			if !x.Delete(ids[i]) {
				t.Fatalf("Delete(%s) = false", ids[i])
			}
			deleted[ids[i]] = true
		} else {
			v := qs[rng.IntN(len(qs))] // move it onto a query
			if err := x.Add(ids[i], v); err != nil {
				t.Fatal(err)
			}
			updated[ids[i]] = v
		}
	}
	checkGraph(t, x)
	if x.Len() != n-len(deleted) {
		t.Fatalf("Len = %d, want %d", x.Len(), n-len(deleted))
	}
	for _, q := range qs {
		rs, err := x.SearchWith(q, SearchOptions{K: 50, Method: Graph})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if deleted[r.ID] {
				t.Fatalf("deleted id %s returned", r.ID)
			}
		}
	}
	for id, v := range updated {
		// Several ids may have moved onto the same query vector.
		rs, err := x.SearchWith(v, SearchOptions{K: 20, Method: Exact})
		if err != nil || !slices.ContainsFunc(rs, func(r Result) bool { return r.ID == id && r.Distance < 1e-6 }) {
			t.Fatalf("updated %s: exact search for its new vector: %v %v", id, rs, err)
		}
	}
	after, err := x.Recall(qs, SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	for _, id := range ids[:400] {
		if !deleted[id] {
			live = append(live, id)
		}
	}
	byID, err := x.RecallIDs(live, SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@10: %.4f before, %.4f after deletes and updates (stored ids: %.4f)", before, after, byID)
	if after < 0.97 || byID < 0.97 {
		t.Fatalf("recall after deletes and updates: %.4f (queries), %.4f (ids); want ≥ 0.97", after, byID)
	}

	// Delete everything: the index must end empty and usable.
	for _, id := range x.IDs() {
		x.Delete(id)
	}
	checkGraph(t, x)
	if rs, err := x.SearchWith(qs[0], SearchOptions{K: 3, Method: Graph}); err != nil || len(rs) != 0 {
		t.Fatalf("search after deleting all: %v %v", rs, err)
	}
	if err := x.AddBatch(ids[:100], base[:100]); err != nil {
		t.Fatal(err)
	}
	checkGraph(t, x)
	if r, _ := x.Recall(qs[:20], SearchOptions{K: 10}); r < 0.97 {
		t.Fatalf("recall after refilling: %.4f", r)
	}
}

func TestAddBatch(t *testing.T) {
	m := mixture{Dim: 32, Components: 5, Latent: 4, Spread: 1, Noise: 0.3, Seed: 3}
	base, qs := m.generate(1000, 50)
	ids := make([]string, len(base))
	for i := range ids {
		ids[i] = idOf(i)
	}
	cfg := Config{M: 8, EfConstruction: 64, ExactBelow: -1, Seed: 2}
	a, b := mustNew(t, 32, cfg), mustNew(t, 32, cfg)
	for _, x := range []*Index{a, b} {
		if err := x.AddBatch(ids[:500], base[:500]); err != nil {
			t.Fatal(err)
		}
		if err := x.AddBatch(ids[500:], base[500:]); err != nil {
			t.Fatal(err)
		}
		checkGraph(t, x)
	}
	if !slices.Equal(encode(t, a), encode(t, b)) {
		t.Fatal("AddBatch is not deterministic")
	}
	if r, _ := a.Recall(qs, SearchOptions{K: 10}); r < 0.98 {
		t.Fatalf("recall after AddBatch: %.4f", r)
	}
	// An invalid vector anywhere rejects the whole batch.
	bad := [][]float32{base[0], make([]float32, 32)}
	if err := a.AddBatch([]string{"x1", "x2"}, bad); err == nil || a.Has("x1") {
		t.Fatalf("batch with a zero vector: %v, x1 added: %v", err, a.Has("x1"))
	}
	if err := a.AddBatch([]string{"x1"}, bad); err == nil {
		t.Fatal("mismatched lengths accepted")
	}
	// Repeated ids: the last vector wins; existing ids are replaced.
	if err := a.AddBatch([]string{"r", "r", "0"}, [][]float32{qs[0], qs[1], qs[2]}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := a.SearchExact(qs[1], 1); rs[0].ID != "r" || rs[0].Distance != 0 {
		t.Fatalf("repeated id: %v", rs)
	}
	if rs, _ := a.SearchExact(qs[2], 1); rs[0].ID != "0" || rs[0].Distance != 0 {
		t.Fatalf("replaced id: %v", rs)
	}
	if a.Len() != 1001 {
		t.Fatalf("Len = %d, want 1001", a.Len())
	}
	checkGraph(t, a)
}
