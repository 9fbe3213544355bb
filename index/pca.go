package index

import "github.com/vecimg/vecimg/internal/pca"

// pcaIters is the number of power iterations of topComponents: with the
// steep spectra of image features two already give the leading directions.
// pcaRows caps the sample rows it uses (the codebook's mean and steps use
// the whole sample): 4,096 rows pin down 256 directions well and keep the
// fit to a few seconds. pcaExtra is the sketch's oversampling.
const (
	pcaIters = 2
	pcaRows  = 4096
	pcaExtra = 16
)

// topComponents returns the k leading principal directions (unit rows of
// length dim, descending variance) of the centred rows x, and the variance
// along each, by internal/pca's randomised subspace iteration with 16
// extra directions. x stays in memory in float32; both products are dot
// products of contiguous rows spread over all cores (sample).
func topComponents(x [][]float32, dim, k int, seed uint64) ([][]float32, []float64) {
	k = min(k, dim)
	if k < 1 {
		return nil, nil
	}
	if len(x) > pcaRows {
		sub := make([][]float32, pcaRows)
		for i := range sub {
			sub[i] = x[i*len(x)/pcaRows]
		}
		x = sub
	}
	res, err := pca.Top[float32](newSample(x, dim), pca.Options[float32]{
		K: k, Extra: pcaExtra, Iters: pcaIters, Seed: seed, Dot: dot, For: parallelFor,
	})
	if err != nil {
		panic(err) // cannot happen: 1 ≤ k ≤ dim and sample products never fail
	}
	return res.Dirs, res.Var
}

// sample is the in-memory pca.Matrix of centred rows, with its transpose
// (dim rows of n) so that Aᵀ·y is also a dot product of contiguous rows.
type sample struct {
	x, xt [][]float32
	dim   int
}

func newSample(x [][]float32, dim int) *sample {
	xt := make([][]float32, dim)
	for c := range xt {
		xt[c] = make([]float32, len(x))
	}
	parallelFor(dim/64+1, func(b int) {
		for c := b * 64; c < min(dim, (b+1)*64); c++ {
			for i, r := range x {
				xt[c][i] = r[c]
			}
		}
	})
	return &sample{x: x, xt: xt, dim: dim}
}

func (s *sample) Rows() int { return len(s.x) }
func (s *sample) Cols() int { return s.dim }

func (s *sample) Mul(m, out [][]float32) error {
	parallelFor(len(s.x), func(i int) {
		for j := range m {
			out[j][i] = dot(s.x[i], m[j])
		}
	})
	return nil
}

func (s *sample) MulT(y, out [][]float32) error {
	parallelFor(s.dim, func(c int) {
		for j := range y {
			out[j][c] = dot(y[j], s.xt[c])
		}
	})
	return nil
}
