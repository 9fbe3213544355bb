package index

import (
	"os"
	"testing"
	"time"
)

func TestScratch(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	m := benchMixture()
	n := envInt(t, "N", 5000)
	base, qs := m.generate(n, 200)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = idOf(i)
	}
	for _, batch := range []bool{true, false} {
		x, _ := New(m.Dim, Config{EfConstruction: envInt(t, "EFC", 200), ExactBelow: -1})
		t0 := time.Now()
		if batch {
			if err := x.AddBatch(ids, base); err != nil {
				t.Fatal(err)
			}
		} else {
			for i, v := range base {
				x.Add(ids[i], v)
			}
		}
		t.Logf("batch=%v build %v", batch, time.Since(t0))
		for _, ef := range []int{10, 16, 24, 32, 64} {
			r, _ := x.Recall(qs, SearchOptions{K: 10, Ef: ef})
			t.Logf("ef=%d recall=%.4f", ef, r)
		}
	}
}
