package eigen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSymmetric checks A·v = λ·v for every pair of a random symmetric
// matrix, the order of the eigenvalues, orthonormal vectors, and that the
// input is left as it was.
func TestSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 28} {
		a := make([]float64, n*n)
		for i := range n {
			for j := i; j < n; j++ {
				v := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(6)-3))
				a[i*n+j], a[j*n+i] = v, v
			}
		}
		in := slices.Clone(a)
		vals, vecs := Symmetric(a, n)
		if !slices.Equal(a, in) {
			t.Fatalf("n=%d: the input changed", n)
		}
		scale := 0.0
		for _, v := range vals {
			scale = max(scale, math.Abs(v))
		}
		for c := range n {
			if c > 0 && vals[c] > vals[c-1] {
				t.Errorf("n=%d: eigenvalues not decreasing: %v", n, vals)
			}
			for i := range n {
				var av float64
				for k := range n {
					av += a[i*n+k] * vecs[k*n+c]
				}
				if d := math.Abs(av - vals[c]*vecs[i*n+c]); d > 1e-9*scale {
					t.Errorf("n=%d: (A v - λ v)[%d] of pair %d is %g", n, i, c, d)
				}
			}
			for d := range n {
				var dot float64
				for k := range n {
					dot += vecs[k*n+c] * vecs[k*n+d]
				}
				if want := float64(min(1, max(0, 1-abs(c-d)))); math.Abs(dot-want) > 1e-9 {
					t.Errorf("n=%d: v%d·v%d = %g", n, c, d, dot)
				}
			}
		}
	}
}

func abs(x int) int { return max(x, -x) }

func TestSymmetricTies(t *testing.T) {
	// A diagonal matrix needs no rotation; equal eigenvalues keep their
	// order on the diagonal.
	vals, vecs := Symmetric([]float64{1, 0, 0, 0, 5, 0, 0, 0, 1}, 3)
	if !slices.Equal(vals, []float64{5, 1, 1}) || vecs[1*3+0] != 1 || vecs[0*3+1] != 1 || vecs[2*3+2] != 1 {
		t.Fatalf("vals %v vecs %v", vals, vecs)
	}
}
