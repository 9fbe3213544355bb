package main

import (
	"math"
	"slices"
	"testing"
)

// The dense kind has what it promises: 10th-neighbour cosine distances of
// 0.002-0.005 (5th to 95th percentile over sampled members) and groups of
// 10 to 1,000 members.
func TestDenseNeighbours(t *testing.T) {
	const n, dim = 4000, 4096
	m := newDense(dim, 1)
	l, err := newLayout(n, 0, 0, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	vs := make([][]float32, 0, n)
	if err := generate(m, l, 0, nil, func(p int, v []float32) error {
		u := slices.Clone(v)
		var s float64
		for _, f := range u {
			s += float64(f) * float64(f)
		}
		for i := range u {
			u[i] /= float32(math.Sqrt(s))
		}
		vs = append(vs, u)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var tenth []float64
	ds := make([]float64, n)
	for q := 0; q < n; q += 40 {
		for j, v := range vs {
			var d float64
			for i := range v {
				d += float64(v[i]) * float64(vs[q][i])
			}
			ds[j] = 1 - d
		}
		slices.Sort(ds)
		tenth = append(tenth, ds[10])
	}
	slices.Sort(tenth)
	p5, p50, p95 := tenth[len(tenth)*5/100], tenth[len(tenth)/2], tenth[len(tenth)*95/100]
	t.Logf("10th-neighbour cosine distance over %d members: 5th percentile %.4f, median %.4f, 95th %.4f", len(tenth), p5, p50, p95)
	if p5 < 0.0015 || p95 > 0.006 || p50 < 0.002 || p50 > 0.005 {
		t.Errorf("10th-neighbour distances %.4f / %.4f / %.4f, want 0.002-0.005", p5, p50, p95)
	}
	g, _ := m.groups(n)
	if g < 5 || g > 40 {
		t.Errorf("%d groups for %d vectors: mean size %d, want groups of 10-1000", g, n, n/g)
	}
}
