package cluster

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestRepairFixesSharedAndMergedCentres(t *testing.T) {
	// Four tight blobs; start with two centres in blob 0, one in blob 1 and
	// one between blobs 2 and 3. Lloyd alone keeps that defect.
	rng := rand.New(rand.NewPCG(9, 9))
	corners := [][2]float32{{0, 0}, {20, 0}, {0, 20}, {20, 20}}
	m := newMat(200, 2)
	truth := make([]int32, 200)
	for i := range 200 {
		c := i % 4
		truth[i] = int32(c)
		m.row(i)[0] = corners[c][0] + float32(rng.NormFloat64())
		m.row(i)[1] = corners[c][1] + float32(rng.NormFloat64())
	}
	m.setNorms(1)
	ds := &dataset{n: 200, d: 2, workers: 2, inMemory: true, all: m, ids: make([]string, 200)}
	start := func() *mat {
		c := newMat(4, 2)
		copy(c.row(0), []float32{-1, 0})
		copy(c.row(1), []float32{1, 0})
		copy(c.row(2), []float32{20, 0})
		copy(c.row(3), []float32{10, 20})
		c.setNorms(1)
		return c
	}
	stuck, err := ds.lloyd(context.Background(), start(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if ari, _ := AdjustedRandIndex(stuck.Labels, truth); ari > 0.9 || !stuck.Converged {
		t.Fatalf("setup: Lloyd alone reached ARI %.3f (converged %v); the test needs the defect", ari, stuck.Converged)
	}
	fixed, swaps, err := ds.repair(context.Background(), stuck, nil)
	if err != nil {
		t.Fatal(err)
	}
	ari, _ := AdjustedRandIndex(fixed.Labels, truth)
	if ari != 1 || swaps != 1 {
		t.Errorf("after repair: ARI %.3f with %d swaps, want 1 with 1 swap", ari, swaps)
	}
	if !(fixed.Inertia < stuck.Inertia) {
		t.Errorf("inertia %g -> %g", stuck.Inertia, fixed.Inertia)
	}
	// A clustering without defects is left alone.
	again, swaps, err := ds.repair(context.Background(), fixed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if swaps != 0 || again.Inertia != fixed.Inertia {
		t.Errorf("repair of a good clustering: %d swaps, inertia %g -> %g", swaps, fixed.Inertia, again.Inertia)
	}
}
