package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSweepSuggestsTrueK(t *testing.T) {
	const n, d, k = 1200, 16, 4
	m := gaussianMixture(11, n, d, k, 3.0, 1.0)
	ks, err := ParseKs("2..7")
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int64{0, streamLimit(n, d)} {
		rows, err := Sweep(context.Background(), FromSlices(m.ids, m.vecs), ks, Options{MemoryLimit: limit, SilhouetteSample: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(ks) {
			t.Fatalf("%d rows for %d ks", len(rows), len(ks))
		}
		for i, r := range rows {
			if r.K != ks[i] || len(r.Sizes) != r.K || r.Silhouette < -1 || r.Silhouette > 1 {
				t.Errorf("row %+v", r)
			}
			if i > 0 && r.Inertia > rows[i-1].Inertia {
				t.Errorf("inertia rose from k=%d to k=%d: %g -> %g", rows[i-1].K, r.K, rows[i-1].Inertia, r.Inertia)
			}
		}
		if got := Suggest(rows); got != k {
			t.Errorf("limit %d: Suggest = %d, want %d; rows %+v", limit, got, k, rows)
		}
	}
}

func TestSilhouetteKnownValue(t *testing.T) {
	// Points 0, 1 (cluster 0) and 5 (cluster 1) on a line:
	// s(0) = 1 − 1/5, s(1) = 1 − 1/4, s(5) = 0 (singleton).
	s := &mat{r: [][]float32{{0}, {1}, {5}}, norms: make([]float32, 3), d: 1}
	s.setNorms(1)
	dist := pairwiseDistances(s, 2)
	got := silhouette(dist, []int32{0, 0, 1}, 2, 2)
	want := (0.8 + 0.75 + 0) / 3
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("silhouette %v, want %v", got, want)
	}
	if !math.IsNaN(silhouette(dist, []int32{1, 1, 1}, 2, 1)) {
		t.Error("one cluster: want NaN")
	}
}

func TestSuggestAndJSON(t *testing.T) {
	rows := []SweepRow{{K: 5, Silhouette: 0.405}, {K: 2, Silhouette: 0.3}, {K: 3, Silhouette: 0.4}, {K: 4, Silhouette: math.NaN()}}
	if got := Suggest(rows); got != 3 {
		t.Errorf("Suggest = %d, want 3 (k=5 is within 0.01 of k=3)", got)
	}
	if got := Suggest([]SweepRow{{K: 2, Silhouette: math.NaN()}}); got != 0 {
		t.Errorf("Suggest without scores = %d, want 0", got)
	}
	js, err := json.Marshal(rows[3])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"silhouette":null`) || !strings.Contains(string(js), `"k":4`) {
		t.Errorf("JSON %s", js)
	}
}

func TestParseKs(t *testing.T) {
	good := map[string][]int{
		"5":        {5},
		"2..4":     {2, 3, 4},
		"3,5,8":    {3, 5, 8},
		" 8, 2..3": {2, 3, 8},
		"4,4..5":   {4, 5},
	}
	for in, want := range good {
		got, err := ParseKs(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseKs(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "0", "-2", "5..3", "2..", "..4", "1..100000", "2;3"} {
		if _, err := ParseKs(in); !errors.Is(err, ErrBadKRange) {
			t.Errorf("ParseKs(%q): err %v, want ErrBadKRange", in, err)
		}
	}
}

func TestSweepErrors(t *testing.T) {
	m := gaussianMixture(12, 20, 4, 2, 1, 1)
	src := FromSlices(m.ids, m.vecs)
	for _, ks := range [][]int{nil, {1, 2}, {2, 21}} {
		if _, err := Sweep(context.Background(), src, ks, Options{}); !errors.Is(err, ErrBadKRange) {
			t.Errorf("ks %v: err %v, want ErrBadKRange", ks, err)
		}
	}
}
