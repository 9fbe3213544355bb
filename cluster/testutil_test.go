package cluster

import (
	"fmt"
	"math/rand/v2"
)

// mixture is a seeded synthetic Gaussian mixture with known labels.
type mixture struct {
	ids   []string
	vecs  [][]float32
	truth []int32
	means [][]float32
}

// gaussianMixture draws n points in d dimensions from k isotropic Gaussians
// (standard deviation sigma) whose means are N(0, spread²) per coordinate.
// Cluster sizes are unequal (weights 1..k shuffled) and points are shuffled.
func gaussianMixture(seed uint64, n, d, k int, spread, sigma float64) *mixture {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := &mixture{}
	for range k {
		mu := make([]float32, d)
		for j := range mu {
			mu[j] = float32(rng.NormFloat64() * spread)
		}
		m.means = append(m.means, mu)
	}
	weights := make([]float64, k)
	total := 0.0
	for c := range k {
		weights[c] = float64(c + 1)
		total += weights[c]
	}
	for i := range n {
		r, c := rng.Float64()*total, 0
		for acc := weights[0]; acc < r && c < k-1; acc += weights[c] {
			c++
		}
		v := make([]float32, d)
		for j := range v {
			v[j] = m.means[c][j] + float32(rng.NormFloat64()*sigma)
		}
		m.ids = append(m.ids, fmt.Sprintf("img%d", i))
		m.vecs = append(m.vecs, v)
		m.truth = append(m.truth, int32(c))
	}
	return m
}
