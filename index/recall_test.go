package index

import (
	"testing"
	"time"
)

// TestRecallMixture is the acceptance check: recall@10 of the graph
// against exact search ≥ 0.98 on 5,000 seeded 4096-d mixture vectors, with
// the default EfSearch, for held-out queries and for stored vectors queried
// by id (own id excluded).
func TestRecallMixture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 5,000 × 4096 index")
	}
	n := envInt(t, "VECIMG_TEST_N", 5000)
	m := benchMixture()
	base, qs := m.generate(n, 200)
	// Default Config, except that the graph is always searched. The first
	// half goes in one by one (Add), the rest in parallel (AddBatch).
	x := mustNew(t, m.Dim, Config{ExactBelow: -1})
	start := time.Now()
	var ids []string
	for i, v := range base {
		if i < n/2 {
			if err := x.Add(idOf(i), v); err != nil {
				t.Fatal(err)
			}
		} else {
			ids = append(ids, idOf(i))
		}
	}
	if err := x.AddBatch(ids, base[n/2:]); err != nil {
		t.Fatal(err)
	}
	checkGraph(t, x)
	t.Logf("built %d × %d in %v", n, m.Dim, time.Since(start).Round(time.Millisecond))
	r, err := x.Recall(qs, SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	ids = ids[:0]
	for i := 0; i < n; i += n / 200 {
		ids = append(ids, idOf(i))
	}
	rid, err := x.RecallIDs(ids, SearchOptions{K: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@10 at EfSearch=%d: held-out queries %.4f, stored ids %.4f", x.Config().EfSearch, r, rid)
	if r < 0.98 || rid < 0.98 {
		t.Fatalf("recall@10 = %.4f (queries), %.4f (ids); want ≥ 0.98", r, rid)
	}
	// For scale: a starved search (ef=10) on the same graph.
	low, err := x.Recall(qs, SearchOptions{K: 10, Ef: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@10 at ef=10: %.4f", low)
}
