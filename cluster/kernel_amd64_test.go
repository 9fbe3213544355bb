package cluster

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEachDotsFallback checks the vek32 path used where AVX2/FMA is missing
// against the assembly kernel.
func TestEachDotsFallback(t *testing.T) {
	if !haveDots2x4 {
		t.Skip("no AVX2/FMA: the fallback is what every other test runs")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := randMat(rng, 9, 37)
	c := randMat(rng, 6, 37)
	b := newBlock(c)
	asm := make([][]float32, x.rows())
	eachDots(x.row, 0, x.rows(), b, func(i int, dots []float32) { asm[i] = append([]float32(nil), dots...) })
	haveDots2x4 = false
	defer func() { haveDots2x4 = true }()
	eachDots(x.row, 0, x.rows(), b, func(i int, dots []float32) {
		for j, v := range dots {
			if math.Abs(float64(v-asm[i][j])) > 1e-4 {
				t.Fatalf("dot[%d][%d]: fallback %v, kernel %v", i, j, v, asm[i][j])
			}
		}
	})
}
