package index

import (
	"math"
	"math/rand/v2"
	"slices"
)

// pcaIters is the number of power iterations of topComponents: with the
// steep spectra of image features two already give the leading directions.
// pcaRows caps the sample rows it uses (the codebook's mean and steps use
// the whole sample): 4,096 rows pin down 256 directions well and keep the
// fit to a few seconds.
const (
	pcaIters = 2
	pcaRows  = 4096
)

// topComponents returns the k leading principal directions (unit rows of
// length dim, descending variance) of the centred rows x, and the variance
// along each, by randomised subspace iteration (Halko, Martinsson & Tropp,
// "Finding structure with randomness", 2011, algorithm 4.4) with 16 extra
// directions and a Rayleigh-Ritz step. It never forms the dim × dim
// covariance: each iteration costs two passes of n·dim·(k+16) multiply-adds,
// spread over all cores.
func topComponents(x [][]float32, dim, k int, seed uint64) ([][]float32, []float64) {
	if len(x) > pcaRows {
		sub := make([][]float32, pcaRows)
		for i := range sub {
			sub[i] = x[i*len(x)/pcaRows]
		}
		x = sub
	}
	n := len(x)
	l := min(dim, k+16)
	rng := rand.New(rand.NewPCG(seed, 0x5ca1ab1e))
	q := make([][]float32, l)
	for j := range q {
		q[j] = make([]float32, dim)
		for i := range q[j] {
			q[j][i] = float32(rng.NormFloat64())
		}
	}
	orthonormalise(q, rng)
	// xt is x transposed (dim rows of n), so that both products are dot
	// products of contiguous rows.
	xt := make([][]float32, dim)
	for c := range xt {
		xt[c] = make([]float32, n)
	}
	parallelFor(dim/64+1, func(b int) {
		for c := b * 64; c < min(dim, (b+1)*64); c++ {
			for i, r := range x {
				xt[c][i] = r[c]
			}
		}
	})
	zt := make([][]float32, l) // (x·q)ᵀ: l rows of n
	for j := range zt {
		zt[j] = make([]float32, n)
	}
	project := func() {
		parallelFor(n, func(i int) {
			for j := range q {
				zt[j][i] = dot(x[i], q[j])
			}
		})
	}
	for range pcaIters {
		project()
		// q_j ← xᵀ z_j
		parallelFor(dim, func(c int) {
			for j := range q {
				q[j][c] = dot(zt[j], xt[c])
			}
		})
		orthonormalise(q, rng)
	}
	project()
	// b = (xq)ᵀ(xq)/n, l × l, then its eigenvectors rotate q.
	b := make([]float64, l*l)
	parallelFor(l, func(i int) {
		for j := i; j < l; j++ {
			v := float64(dot(zt[i], zt[j])) / float64(max(n, 1))
			b[i*l+j], b[j*l+i] = v, v
		}
	})
	vals, vecs := jacobiEigen(b, l)
	order := make([]int, l)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, c int) int {
		switch {
		case vals[a] > vals[c]:
			return -1
		case vals[a] < vals[c]:
			return 1
		}
		return a - c
	})
	rows := make([][]float32, k)
	vars := make([]float64, k)
	parallelFor(k, func(m int) {
		col := order[m]
		r := make([]float32, dim)
		for j := range l {
			w := float32(vecs[j*l+col])
			for i, f := range q[j] {
				r[i] += w * f
			}
		}
		rows[m] = r
		vars[m] = max(0, vals[col])
	})
	orthonormalise(rows, rng)
	return rows, vars
}

// orthonormalise makes the rows of q orthonormal in order (modified
// Gram-Schmidt, twice for accuracy). A row that depends on the earlier ones
// is replaced by a fresh random direction.
func orthonormalise(q [][]float32, rng *rand.Rand) {
	for i := range q {
		for attempt := 0; ; attempt++ {
			r := q[i]
			for range 2 {
				for _, p := range q[:i] {
					axpy(r, p, -dot(r, p))
				}
			}
			nn := math.Sqrt(float64(dot(r, r)))
			if nn > 1e-6 || attempt > 8 {
				if nn == 0 {
					nn = 1
				}
				s := float32(1 / nn)
				for j := range r {
					r[j] *= s
				}
				break
			}
			for j := range r {
				r[j] = float32(rng.NormFloat64())
			}
		}
	}
}

// axpy adds a·p to r.
func axpy(r, p []float32, a float32) {
	p = p[:len(r)]
	for i := range r {
		r[i] += a * p[i]
	}
}

// jacobiEigen diagonalises the symmetric n × n matrix a (row-major; it is
// overwritten) by cyclic Jacobi rotations and returns the eigenvalues and the
// eigenvectors as the columns of v (row-major).
func jacobiEigen(a []float64, n int) ([]float64, []float64) {
	v := make([]float64, n*n)
	for i := range n {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 30; sweep++ {
		var off, diag float64
		for i := range n {
			diag += a[i*n+i] * a[i*n+i]
			for j := i + 1; j < n; j++ {
				off += a[i*n+j] * a[i*n+j]
			}
		}
		if off <= 1e-22*diag || off == 0 {
			break
		}
		for p := 0; p < n-1; p++ {
			for r := p + 1; r < n; r++ {
				apr := a[p*n+r]
				if math.Abs(apr) < 1e-300 {
					continue
				}
				app, arr := a[p*n+p], a[r*n+r]
				theta := (arr - app) / (2 * apr)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					akp, akr := a[k*n+p], a[k*n+r]
					a[k*n+p] = c*akp - s*akr
					a[k*n+r] = s*akp + c*akr
				}
				for k := range n {
					apk, ark := a[p*n+k], a[r*n+k]
					a[p*n+k] = c*apk - s*ark
					a[r*n+k] = s*apk + c*ark
				}
				for k := range n {
					vkp, vkr := v[k*n+p], v[k*n+r]
					v[k*n+p] = c*vkp - s*vkr
					v[k*n+r] = s*vkp + c*vkr
				}
			}
		}
	}
	vals := make([]float64, n)
	for i := range n {
		vals[i] = a[i*n+i]
	}
	return vals, v
}
