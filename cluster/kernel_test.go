package cluster

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/viterin/vek/vek32"
)

func randMat(rng *rand.Rand, rows, d int) *mat {
	m := newMat(rows, d)
	for _, r := range m.r {
		for q := range r {
			r[q] = float32(rng.NormFloat64())
		}
	}
	m.setNorms(1)
	return m
}

func TestEachDots(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{1, 7, 8, 13, 64, 131} {
		for _, k := range []int{1, 3, 4, 5, 9} {
			x := randMat(rng, 7, d)
			c := randMat(rng, k, d)
			b := newBlock(c)
			got := make([][]float32, x.rows())
			eachDots(x.row, 0, x.rows(), b, func(i int, dots []float32) {
				got[i] = append([]float32(nil), dots...)
			})
			for i := range x.rows() {
				for j := range k {
					want := 0.0
					for q := range d {
						want += float64(x.row(i)[q]) * float64(c.row(j)[q])
					}
					if math.Abs(float64(got[i][j])-want) > 1e-4*math.Sqrt(float64(d)) {
						t.Fatalf("d %d k %d: dot[%d][%d] = %v, want %v", d, k, i, j, got[i][j], want)
					}
				}
			}
			// Values must not depend on the pairing of rows.
			for lo := range 3 {
				eachDots(x.row, lo, x.rows(), b, func(i int, dots []float32) {
					for j, v := range dots {
						if v != got[i][j] {
							t.Fatalf("d %d k %d: row %d from lo %d: %v, from 0: %v", d, k, i, lo, v, got[i][j])
						}
					}
				})
			}
		}
	}
}

// BenchmarkAssign compares the paired dot kernel with vek32.Dot for the
// nearest-centre search of 256 vectors of dimension 4096 against 50 centres.
func BenchmarkAssign(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randMat(rng, 256, 4096)
	c := randMat(rng, 50, 4096)
	flops := float64(256 * 50 * 4096 * 2)
	b.Run("kernel", func(b *testing.B) {
		lab := make([]int32, 256)
		dist := make([]float32, 256)
		for b.Loop() {
			assignRows(x, nil, c, lab, dist, false, 1)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("vek32.Dot", func(b *testing.B) {
		for b.Loop() {
			for i := range 256 {
				best := float32(math.Inf(1))
				for j := range 50 {
					best = min(best, x.norms[i]-2*vek32.Dot(x.row(i), c.row(j))+c.norms[j])
				}
			}
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
