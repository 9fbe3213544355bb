package dots

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDots2x4 checks the kernel against float64 dot products within the
// proven bound of float32 summation, γₙ·Σ|aᵢbᵢ| (γₙ = n·u/(1 − n·u),
// u = 2⁻²⁴), and that a product does not depend on the other operands.
func TestDots2x4(t *testing.T) {
	if !Have {
		t.Skip("no AVX2/FMA")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{8, 64, 4096} {
		stride := n + 8
		c := make([]float32, 4*stride)
		x := make([]float32, 3*n)
		for i := range c {
			c[i] = float32(rng.NormFloat64())
		}
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		x0, x1, x2 := x[:n], x[n:2*n], x[2*n:]
		var a, b [8]float32
		Dots2x4(&x0[0], &x1[0], &c[0], stride, n, &a)
		Dots2x4(&x2[0], &x0[0], &c[0], stride, n, &b)
		u := math.Ldexp(1, -24)
		gamma := float64(n) * u / (1 - float64(n)*u)
		for j := range 4 {
			if a[j] != b[4+j] {
				t.Errorf("n=%d: x0·c_%d is %v paired with x1, %v paired with x2", n, j, a[j], b[4+j])
			}
			for k, v := range [][]float32{x0, x1} {
				var exact, abs float64
				for i := range n {
					p := float64(v[i]) * float64(c[j*stride+i])
					exact += p
					abs += math.Abs(p)
				}
				if g := math.Abs(float64(a[4*k+j]) - exact); g > gamma*abs {
					t.Errorf("n=%d: x%d·c_%d = %v, exact %v: error %g above %g", n, k, j, a[4*k+j], exact, g, gamma*abs)
				}
			}
		}
	}
}
