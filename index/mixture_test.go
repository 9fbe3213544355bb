package index

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// mixture describes the seeded synthetic data used by the tests and
// benchmarks: a Gaussian mixture whose components are not isotropic blobs
// but low-dimensional "sheets", closer to how image embeddings spread.
// Point i of component c is
//
//	centre[c] + Spread·Σ_j z_j·basis[c][j] + Noise·ε,
//
// with centre, basis and ε entries ~ N(0, 1) and z ~ N(0, I/Latent), so the
// centre, the in-component variation and the noise each have per-component
// variance 1, Spread² and Noise². Latent = 0 gives isotropic blobs.
type mixture struct {
	Dim, Components, Latent int
	Spread, Noise           float64
	Seed                    uint64
}

// benchMixture is the data set the issue measured on: 50 components in
// 4096 dimensions.
func benchMixture() mixture {
	return mixture{Dim: 4096, Components: 50, Latent: 16, Spread: 1, Noise: 0.5, Seed: 20240501}
}

// generate returns n base vectors and nq query vectors drawn from the same
// mixture (queries are not in the base set).
func (m mixture) generate(n, nq int) (base, queries [][]float32) {
	rng := rand.New(rand.NewPCG(m.Seed, 0x9e3779b97f4a7c15))
	centres := make([][]float32, m.Components)
	bases := make([][][]float32, m.Components)
	for c := range centres {
		centres[c] = gauss(rng, m.Dim, 1)
		bases[c] = make([][]float32, m.Latent)
		for j := range bases[c] {
			bases[c][j] = gauss(rng, m.Dim, 1)
		}
	}
	point := func() []float32 {
		c := rng.IntN(m.Components)
		v := gauss(rng, m.Dim, m.Noise)
		for i, f := range centres[c] {
			v[i] += f
		}
		for _, b := range bases[c] {
			z := float32(m.Spread * rng.NormFloat64() / math.Sqrt(float64(m.Latent)))
			for i, f := range b {
				v[i] += z * f
			}
		}
		return v
	}
	base = make([][]float32, n)
	for i := range base {
		base[i] = point()
	}
	queries = make([][]float32, nq)
	for i := range queries {
		queries[i] = point()
	}
	return base, queries
}

func gauss(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(scale * rng.NormFloat64())
	}
	return v
}

// envInt reads an integer environment variable, or returns def.
func envInt(tb testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// idOf names base vector i.
func idOf(i int) string { return strconv.Itoa(i) }
