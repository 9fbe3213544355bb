package spectrum

import "math"

// The fc6 spectrum as measured on real photos: shares of the centred
// variance carried by the top Top10 and the top Rank principal directions.
const (
	Rank     = 256
	Top10    = 0.86
	TopShare = 0.993
)

// FC6 returns the variances λ_1..λ_Rank of the leading directions
// (λ_j ∝ j^-α, α found by bisection so that the first 10 carry Top10 of
// the total and all Rank carry TopShare) for a unit total centred
// variance, and the per-coordinate variance of the isotropic floor that
// carries the remaining 1 − TopShare over dim coordinates.
func FC6(dim int) (lam []float64, floor float64) {
	share := func(a float64) float64 {
		var s10, s float64
		for j := 1; j <= Rank; j++ {
			v := math.Pow(float64(j), -a)
			if j <= 10 {
				s10 += v
			}
			s += v
		}
		return s10 / s
	}
	lo, hi := 0.5, 4.0
	for range 60 {
		if mid := (lo + hi) / 2; share(mid) < Top10/TopShare {
			lo = mid
		} else {
			hi = mid
		}
	}
	var sum float64
	lam = make([]float64, Rank)
	for j := range lam {
		lam[j] = math.Pow(float64(j+1), -lo)
		sum += lam[j]
	}
	for j := range lam {
		lam[j] = lam[j] * TopShare / sum
	}
	return lam, (1 - TopShare) / float64(dim)
}
