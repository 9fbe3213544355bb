package cluster

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/viterin/vek/vek32"
)

// seedPlusPlus picks k initial centres from the rows of s by greedy k-means++
// (Arthur & Vassilvitskii 2007): each new centre is the best, by resulting
// potential, of 2+⌊ln k⌋ candidates drawn with probability proportional to
// the squared distance to the nearest centre chosen so far. When every row
// already coincides with a centre, the remaining centres are uniform random
// rows (duplicates; Fit re-seeds the clusters that stay empty).
func seedPlusPlus(s *mat, k int, rng *rand.Rand, workers int) *mat {
	m, d := s.rows(), s.d
	c := &mat{x: make([]float32, k*d), norms: make([]float32, k), d: d}
	setCentre := func(j, row int) {
		copy(c.row(j), s.row(row))
		c.norms[j] = s.norms[row]
	}
	setCentre(0, rng.IntN(m))

	closest := make([]float64, m)
	parallel(workers, m, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			closest[i] = sqDistNorm(s.row(i), s.norms[i], c.row(0), c.norms[0])
		}
	})
	trials := 2 + int(math.Log(float64(k)))
	cum := make([]float64, m)
	cand := make([]int, trials)
	candDist := make([][]float64, trials)
	for t := range candDist {
		candDist[t] = make([]float64, m)
	}
	for j := 1; j < k; j++ {
		pot := 0.0
		for i, v := range closest {
			pot += v
			cum[i] = pot
		}
		if pot <= 0 {
			setCentre(j, rng.IntN(m))
			continue
		}
		for t := range cand {
			r := rng.Float64() * pot
			cand[t] = min(sort.Search(m, func(i int) bool { return cum[i] > r }), m-1)
		}
		parallel(workers, m, 64, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				x, xn := s.row(i), s.norms[i]
				for t, ci := range cand {
					candDist[t][i] = min(closest[i], sqDistNorm(x, xn, s.row(ci), s.norms[ci]))
				}
			}
		})
		best, bestPot := 0, math.Inf(1)
		for t := range cand {
			p := 0.0
			for _, v := range candDist[t] {
				p += v
			}
			if p < bestPot {
				best, bestPot = t, p
			}
		}
		setCentre(j, cand[best])
		copy(closest, candDist[best])
	}
	return c
}

// sqDistNorm is ||x−y||² from the dot product and squared norms, clamped at 0.
func sqDistNorm(x []float32, xn float32, y []float32, yn float32) float64 {
	return max(float64(xn)-2*float64(vek32.Dot(x, y))+float64(yn), 0)
}
