package main

import (
	"math"
	"math/rand/v2"

	"github.com/vecimg/vecimg/internal/spectrum"
)

// dense is the tight-group worst case of real archives (burst shots,
// product variants, re-edits): groups of 10 to 1,000 members (log-uniform
// sizes) whose 10th-nearest neighbour sits at cosine distance
// 0.002-0.005, where codes cannot order the members. Its spectrum is the one
// measured on real fc6 vectors and stated in the index tests (a mean
// carrying 90% of E|x|²; of the centred variance, the top 10 principal
// directions carry 86%, the top 256 99.3%, the rest is an isotropic floor),
// built in (internal/spectrum) so that it needs no fitted parameter file. A group's centre is
// drawn from the whole spectrum; a member is the centre plus the same
// spectrum scaled by the group's tightness.
type dense struct {
	Dim   int
	mean  []float32
	dirs  [][]float32 // 256 unit-ish directions
	std   []float32   // per direction, for a unit total centred variance
	floor float32     // per-coordinate standard deviation of the floor
}

// Group tightness: a member's own variation is tight² times the centre
// spread, tight² log-uniform in [denseTightLo, denseTightHi] per group
// (calibrated so that 10th-neighbour distances span 0.002-0.005; see
// TestDenseNeighbours).
const (
	denseTightLo = 0.056
	denseTightHi = 0.10
	denseSizeLo  = 10
	denseSizeHi  = 1000
)

func newDense(dim int, seed uint64) dense {
	rng := rand.New(rand.NewPCG(seed, 0xde45e))
	lam, floor := spectrum.FC6(dim)
	rank := len(lam)
	d := dense{Dim: dim, std: make([]float32, rank), floor: float32(math.Sqrt(floor))}
	for j, v := range lam {
		d.std[j] = float32(math.Sqrt(v))
	}
	d.dirs = make([][]float32, rank)
	for j := range d.dirs {
		d.dirs[j] = make([]float32, dim)
		for i := range d.dirs[j] {
			d.dirs[j][i] = float32(rng.NormFloat64() / math.Sqrt(float64(dim)))
		}
	}
	// |μ|² = 9: 90% of E|x|² = |μ|² + 1.
	d.mean = make([]float32, dim)
	var mm float64
	for i := range d.mean {
		d.mean[i] = float32(rng.NormFloat64())
		mm += float64(d.mean[i]) * float64(d.mean[i])
	}
	for i := range d.mean {
		d.mean[i] *= float32(3 / math.Sqrt(mm))
	}
	return d
}

func (m dense) dim() int { return m.Dim }

// A centre carries two more values after its coordinates: the group's
// tightness and its size weight.
func (m dense) centreLen() int { return m.Dim + 2 }

func (m dense) groups(n int) (int, bool) {
	mean := (denseSizeHi - denseSizeLo) / math.Log(denseSizeHi/denseSizeLo) // of a log-uniform size
	return max(1, int(math.Round(float64(n)/mean))), false
}

func (m dense) weight(centre []float32) float64 { return float64(centre[m.Dim+1]) }

// spectral adds s times a draw of the spectrum to out.
func (m dense) spectral(rng *rand.Rand, s float32, out []float32) {
	for i := range out {
		out[i] += s * m.floor * float32(rng.NormFloat64())
	}
	for j, sd := range m.std {
		axpy(s*sd*float32(rng.NormFloat64()), m.dirs[j], out)
	}
}

func (m dense) centre(rng *rand.Rand, out []float32) {
	c := out[:m.Dim]
	copy(c, m.mean)
	m.spectral(rng, 1, c)
	t2 := math.Exp(math.Log(denseTightLo) + rng.Float64()*math.Log(denseTightHi/denseTightLo))
	out[m.Dim] = float32(math.Sqrt(t2))
	out[m.Dim+1] = float32(denseSizeLo * math.Exp(rng.Float64()*math.Log(float64(denseSizeHi)/denseSizeLo)))
}

func (m dense) member(centre []float32, rng *rand.Rand, out []float32) {
	copy(out, centre[:m.Dim])
	m.spectral(rng, centre[m.Dim], out)
}
