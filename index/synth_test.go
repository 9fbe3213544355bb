package index

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/vecimg/vecimg/internal/spectrum"
)

// fc6like describes seeded synthetic vectors shaped like VGG16 fc6 image
// features, as the issue states them for real photos: a mean that is about
// 95% of a typical vector's norm (so all cosines are high), a steeply
// decaying spectrum of the centred vectors (the top 10 principal directions
// carry 86% of the variance, the top 256 carry 99.3%, the rest is an
// isotropic floor) and clusters: every point is a cluster centre plus its
// own variation, both drawn from that spectrum (a share Between for the
// centres). Within sets how much of the spectrum a point's own variation
// gets; it tunes the cosine to the 10th neighbour (≈ 0.97 on real photos).
// It stands in for the generator fitted to real fc6 vectors (bench/synth)
// until that one can be used from here.
type fc6like struct {
	Dim, Clusters int
	Between       float64 // share of the spectral variance between cluster centres
	Within        float64 // scale of a point's own variation
	MeanShare     float64 // |μ|² / E|x|²
	Seed          uint64
}

func defaultFC6() fc6like {
	return fc6like{Dim: 4096, Clusters: 400, Between: 1, Within: 0.35, MeanShare: 0.9, Seed: 7}
}

// generate returns n base vectors and nq held-out queries.
func (g fc6like) generate(n, nq int) (base, queries [][]float32) {
	rng := rand.New(rand.NewPCG(g.Seed, 0xfc6))
	lam, floor := spectrum.FC6(g.Dim)
	dirs := make([][]float32, len(lam))
	for j := range dirs {
		dirs[j] = gauss(rng, g.Dim, 1/math.Sqrt(float64(g.Dim)))
	}
	// Total centred variance V; the mean gets MeanShare of E|x|².
	const V = 1.0
	meanNorm := math.Sqrt(g.MeanShare / (1 - g.MeanShare) * V)
	mean := gauss(rng, g.Dim, 1)
	mn := math.Sqrt(float64(dot(mean, mean)))
	for i := range mean {
		mean[i] *= float32(meanNorm / mn)
	}
	centres := make([][]float64, g.Clusters)
	for c := range centres {
		centres[c] = make([]float64, len(lam))
		for j := range lam {
			centres[c][j] = math.Sqrt(g.Between*lam[j]) * rng.NormFloat64()
		}
	}
	// Zipf-like cluster sizes.
	weights := make([]float64, g.Clusters)
	var tw float64
	for c := range weights {
		weights[c] = 1 / math.Sqrt(float64(c+1))
		tw += weights[c]
	}
	cum := make([]float64, g.Clusters)
	acc := 0.0
	for c, w := range weights {
		acc += w / tw
		cum[c] = acc
	}
	// dirsT[i] holds component i of every direction, so that a point's
	// component i is one dot product with its coordinates.
	dirsT := make([][]float32, g.Dim)
	for i := range dirsT {
		dirsT[i] = make([]float32, len(dirs))
		for j, d := range dirs {
			dirsT[i][j] = d[i]
		}
	}
	point := func(k int) []float32 {
		r := rand.New(rand.NewPCG(g.Seed, uint64(k)+1))
		c, _ := slices.BinarySearch(cum, r.Float64())
		c = min(c, g.Clusters-1)
		z := make([]float32, len(lam))
		for j := range z {
			z[j] = float32(centres[c][j] + g.Within*math.Sqrt(lam[j])*r.NormFloat64())
		}
		v := gauss(r, g.Dim, math.Sqrt(floor))
		for i, m := range mean {
			v[i] += m + dot(dirsT[i], z)
		}
		return v
	}
	base = make([][]float32, n)
	queries = make([][]float32, nq)
	parallelFor(n+nq, func(k int) {
		if k < n {
			base[k] = point(k)
		} else {
			queries[k-n] = point(k)
		}
	})
	return base, queries
}
