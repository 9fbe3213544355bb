package main

import (
	"math"
	"math/rand/v2"
)

// model draws group centres and the members around them.
type model interface {
	dim() int
	// groups returns how many groups a chunk of n positions has; when shared
	// is true the same groups serve every chunk.
	groups(n int) (g int, shared bool)
	centre(rng *rand.Rand, out []float32)
	member(centre []float32, rng *rand.Rand, out []float32)
}

// weightedModel is a model whose groups differ in size: a centre carries
// centreLen() values (its coordinates first) and members pick a group with
// probability proportional to weight(centre).
type weightedModel interface {
	model
	centreLen() int
	weight(centre []float32) float64
}

// fitted samples from params (see params for the equations).
type fitted struct{ p *params }

func (m fitted) dim() int { return m.p.Dim }

func (m fitted) groups(n int) (int, bool) {
	return max(1, int(math.Round(float64(n)/m.p.GroupSize))), false
}

func (m fitted) centre(rng *rand.Rand, out []float32) {
	p := m.p
	for i := range out {
		out[i] = p.mean[i] + p.centreTail[i]*float32(rng.NormFloat64())
	}
	for k, s := range p.centreStd {
		axpy(s*float32(rng.NormFloat64()), p.centreDirs[k], out)
	}
}

func (m fitted) member(centre []float32, rng *rand.Rand, out []float32) {
	p := m.p
	for i := range out {
		out[i] = centre[i] + p.memberTail[i]*float32(rng.NormFloat64())
	}
	for k, s := range p.memberStd {
		axpy(s*float32(rng.NormFloat64()), p.memberDirs[k], out)
	}
}

// iso is the isotropic Gaussian mixture: Components centres with entries
// N(0, 1), shared by all chunks, and members centre + Noise·N(0, I).
type iso struct {
	Dim, Components int
	Noise           float64
}

func (m iso) dim() int               { return m.Dim }
func (m iso) groups(int) (int, bool) { return m.Components, true }

func (m iso) centre(rng *rand.Rand, out []float32) {
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
}

func (m iso) member(centre []float32, rng *rand.Rand, out []float32) {
	for i := range out {
		out[i] = centre[i] + float32(m.Noise*rng.NormFloat64())
	}
}

// axpy adds a·x to y (len(y) ≥ len(x)).
func axpy(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+8 <= len(x); i += 8 {
		xs, ys := x[i:i+8:i+8], y[i:i+8:i+8]
		ys[0] += a * xs[0]
		ys[1] += a * xs[1]
		ys[2] += a * xs[2]
		ys[3] += a * xs[3]
		ys[4] += a * xs[4]
		ys[5] += a * xs[5]
		ys[6] += a * xs[6]
		ys[7] += a * xs[7]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}
