package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPCA checks that topComponents finds planted directions with their
// variances. The planted directions have disjoint supports, so they are
// orthonormal by construction.
func TestPCA(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const dim, n = 300, 2000
	sd := []float64{10, 6, 4, 3, 2}
	dirs := make([][]float32, len(sd))
	for j := range dirs {
		dirs[j] = make([]float32, dim)
		var nn float64
		for i := j; i < dim; i += len(sd) {
			dirs[j][i] = float32(rng.NormFloat64())
			nn += float64(dirs[j][i]) * float64(dirs[j][i])
		}
		for i := range dirs[j] {
			dirs[j][i] /= float32(math.Sqrt(nn))
		}
	}
	x := make([][]float32, n)
	for i := range x {
		v := gauss(rng, dim, 0.1)
		for j, d := range dirs {
			a := float32(sd[j] * rng.NormFloat64())
			for c := range v {
				v[c] += a * d[c]
			}
		}
		x[i] = v
	}
	rows, vars := topComponents(x, dim, 5, 1)
	if len(rows) != 5 || len(vars) != 5 {
		t.Fatalf("%d directions and %d variances, want 5", len(rows), len(vars))
	}
	for j := range dirs {
		c := math.Abs(float64(dot(rows[j], dirs[j])))
		if c < 0.99 {
			t.Errorf("component %d: |cos| with the planted direction %.4f", j, c)
		}
		if r := vars[j] / (sd[j] * sd[j]); r < 0.85 || r > 1.15 {
			t.Errorf("component %d: variance %.2f, planted %.2f", j, vars[j], sd[j]*sd[j])
		}
	}
}
