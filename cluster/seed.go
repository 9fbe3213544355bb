package cluster

import (
	"math"
	"math/rand/v2"
	"sort"
)

// seedPlusPlus picks k initial centres from the rows of s by greedy k-means++
// (Arthur & Vassilvitskii 2007): each new centre is the best, by resulting
// potential, of 2+⌊ln k⌋ candidates (rounded up to a multiple of 4) drawn
// with probability proportional to the squared distance to the nearest
// centre chosen so far. When every row already coincides with a centre, the
// remaining centres are uniform random rows (duplicates; Fit re-seeds the
// clusters that stay empty).
func seedPlusPlus(s *mat, k int, rng *rand.Rand, workers int) *mat {
	m, d := s.rows(), s.d
	c := newMat(k, d)
	setCentre := func(j, row int) {
		copy(c.row(j), s.row(row))
		c.norms[j] = s.norms[row]
	}
	setCentre(0, rng.IntN(m))

	closest := make([]float64, m)
	first := newBlock(&mat{r: c.r[:1], norms: c.norms[:1], d: d})
	parallel(workers, m, 64, func(lo, hi int) {
		eachDots(s.row, lo, hi, first, func(i int, dots []float32) {
			closest[i] = sqDistNorm(s.norms[i], dots[0], c.norms[0])
		})
	})
	// The dot kernel works on centres in fours, so candidates beyond
	// 2+⌊ln k⌋ up to the next multiple of 4 come at no extra cost.
	trials := (2 + int(math.Log(float64(k))) + 3) &^ 3
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
		cm := newMat(trials, d)
		for t, ci := range cand {
			copy(cm.row(t), s.row(ci))
			cm.norms[t] = s.norms[ci]
		}
		cb := newBlock(cm)
		parallel(workers, m, 64, func(lo, hi int) {
			eachDots(s.row, lo, hi, cb, func(i int, dots []float32) {
				for t := range cand {
					candDist[t][i] = min(closest[i], sqDistNorm(s.norms[i], dots[t], cm.norms[t]))
				}
			})
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

// sqDistNorm is ||x−y||² from the squared norms and the dot product,
// clamped at 0.
func sqDistNorm(xn, dot, yn float32) float64 {
	return max(float64(xn)-2*float64(dot)+float64(yn), 0)
}
