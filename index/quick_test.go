package index

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestQuickFC6 is a development probe: recall and spectrum on fc6-like data.
func TestQuickFC6(t *testing.T) {
	if os.Getenv("VECIMG_QUICK") == "" {
		t.Skip("set VECIMG_QUICK=1")
	}
	n := envInt(t, "VECIMG_BENCH_N", 20000)
	g := defaultFC6()
	t0 := time.Now()
	base, qs := g.generate(n, 200)
	t.Logf("generate %v", time.Since(t0))
	src := sourceOf(base)
	t0 = time.Now()
	truth, err := ExactSearch(context.Background(), src, qs, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("exact %v", time.Since(t0))
	var cos10 []float64
	for _, r := range truth {
		cos10 = append(cos10, 1-float64(r[9].Distance))
	}
	t.Logf("median cos to 10th: %.4f", median(cos10))
	t0 = time.Now()
	x, err := Build(context.Background(), src, g.Dim, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("build %v cdim %d trainRes %.4f", time.Since(t0), x.cb.cdim, x.cb.trainRes)
	var top10, top256, tot float64
	for k, v := range x.cb.variance {
		if k < 10 {
			top10 += float64(v)
		}
		top256 += float64(v)
	}
	tot = x.cb.trainVar
	t.Logf("variance: top10 %.3f top256 %.3f", top10/tot, top256/tot)
	for _, ef := range []int{16, 32, 64, 128} {
		for _, rr := range []int{10, 20, 40, 80} {
			hits := 0
			t0 = time.Now()
			for i, q := range qs {
				rs, err := x.SearchWith(q, SearchOptions{K: 10, Ef: ef, Rerank: rr})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					for _, w := range truth[i] {
						if w.ID == r.ID {
							hits++
						}
					}
				}
			}
			t.Logf("ef %d rerank %d recall %.4f %.3f ms/q", ef, rr, float64(hits)/float64(10*len(qs)), float64(time.Since(t0).Microseconds())/1e3/float64(len(qs)))
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}
