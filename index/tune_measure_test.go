package index

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// isoMixture is bench/synth's -kind iso (its defaults): 50 isotropic
// Gaussian blobs in 4096 dimensions, member noise 0.5.
var isoMixture = mixture{Dim: 4096, Components: 50, Noise: 0.5, Seed: 7}

// TestTuneHeldOutMeasure (opt-in: VECIMG_TUNE_MEASURE=1, size
// VECIMG_TUNE_N, default 20000) compares, on the isotropic mixture (isoMixture)
// and the dense fc6-like set (VECIMG_TUNE_SETS=iso or dense: one of them), recall@10 per ef of three measures: held-out queries
// (vectors not in the index, exact truth), stored vectors searched with
// their own node in the walk (the earlier tuning), and stored vectors
// searched with their own node hidden from the walk (tuning now); then
// the ef each tuning chooses, the held-out recall there and its time.
func TestTuneHeldOutMeasure(t *testing.T) {
	if os.Getenv("VECIMG_TUNE_MEASURE") == "" {
		t.Skip("opt-in: VECIMG_TUNE_MEASURE=1")
	}
	n := envInt(t, "VECIMG_TUNE_N", 20000)
	sets := []struct {
		name string
		dim  int
		gen  func(n, nq int) ([][]float32, [][]float32)
	}{
		{"iso", isoMixture.Dim, isoMixture.generate},
		{"dense", smallFC6().Dim, denseData},
	}
	only := os.Getenv("VECIMG_TUNE_SETS") // e.g. "iso"; empty: all
	for _, set := range sets {
		if only != "" && !strings.Contains(only, set.name) {
			continue
		}
		base, qs := set.gen(n, 200)
		src := sourceOf(base)
		t0 := time.Now()
		x := build(t, src, set.dim, Config{})
		buildTime := time.Since(t0)
		held := exactIDs(t, src, qs, tuneK)
		ids := tuneIDs(x.IDs(), TuneQueries)
		want, _, err := x.truthIDs(ids, tuneK, nil)
		if err != nil {
			t.Fatal(err)
		}
		heldAt := func(ef int) float64 {
			return recallOf(held, searchAll(t, x, qs, SearchOptions{K: tuneK, Ef: ef}))
		}
		t.Logf("%s n=%d dim=%d: build %v", set.name, n, set.dim, buildTime.Round(time.Millisecond))
		t.Logf("%s: ef  held-out  stored(own node walked)  stored(own node hidden)", set.name)
		for _, ef := range tuneLadder[:9] {
			var r [2]float64
			for i, ho := range []bool{false, true} {
				found, _, _, err := x.searchIDs(ids, SearchOptions{K: tuneK, Ef: ef, Method: Graph, heldOut: ho})
				if err != nil {
					t.Fatal(err)
				}
				r[i] = overlap(want, found)
			}
			t.Logf("%s: %4d  %.4f  %.4f  %.4f", set.name, ef, heldAt(ef), r[0], r[1])
		}
		for round := range 2 {
			for _, ho := range []bool{false, true} {
				t0 := time.Now()
				tu, err := x.tune1(DefaultRecallTarget, 0, ho)
				if err != nil {
					t.Fatal(err)
				}
				name := map[bool]string{false: "before (own node walked)", true: "after (own node hidden)"}[ho]
				t.Logf("%s round %d: tuning %s: %s in %v; held-out recall@10 at ef %d: %.4f", set.name, round, name,
					fmt.Sprint(tu), time.Since(t0).Round(time.Millisecond), tu.Ef, heldAt(tu.Ef))
			}
		}
	}
}
