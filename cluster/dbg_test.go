package cluster

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestDbg(t *testing.T) {
	m := gaussianMixture(1, 3000, 32, 8, 2.0, 1.0)
	ds, _ := newDataset(context.Background(), FromSlices(m.ids, m.vecs), Options{MemoryLimit: 1 << 30, Workers: 1})
	for s := uint64(1); s < 6; s++ {
		rng := rand.New(rand.NewPCG(s, 1))
		c := seedPlusPlus(ds.all, 8, rng, 1)
		lab := make([]int32, 3000)
		dist := make([]float32, 3000)
		assignRows(ds.all, nil, c, lab, dist, true, 1)
		ari, _ := AdjustedRandIndex(lab, m.truth)
		// which true cluster each seed is in
		seedCl := []int32{}
		for j := range 8 {
			for i := range 3000 {
				if sq(m.vecs[i], c.row(j)) == 0 {
					seedCl = append(seedCl, m.truth[i])
				}
			}
		}
		t.Logf("seed %d: ari %.3f seeds in %v", s, ari, seedCl)
	}
}
