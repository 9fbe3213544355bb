package eigen

import (
	"math"
	"slices"
)

// maxSweeps bounds the cyclic Jacobi sweeps; a few dozen rows converge in
// well under ten.
const maxSweeps = 30

// Symmetric returns the eigenvalues of the symmetric n × n matrix a
// (row-major; it is not changed) in decreasing order, equal ones in their
// order on the diagonal, and the matching eigenvectors as the columns of
// vecs (row-major n × n). It uses cyclic Jacobi rotations until the
// off-diagonal mass is below 1e-22 of the diagonal's.
func Symmetric(a []float64, n int) (vals, vecs []float64) {
	a = slices.Clone(a[:n*n])
	v := make([]float64, n*n)
	for i := range n {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < maxSweeps; sweep++ {
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
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch dx, dy := a[x*n+x], a[y*n+y]; {
		case dx > dy:
			return -1
		case dx < dy:
			return 1
		}
		return 0
	})
	vals = make([]float64, n)
	vecs = make([]float64, n*n)
	for c, o := range order {
		vals[c] = a[o*n+o]
		for k := range n {
			vecs[k*n+c] = v[k*n+o]
		}
	}
	return vals, vecs
}
