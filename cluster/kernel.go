package cluster

import (
	"math"
	"sync"

	"github.com/viterin/vek/vek32"
)

// mat is a dense row-major matrix of vectors with their squared norms.
type mat struct {
	x     []float32 // rows·d values
	norms []float32 // squared norm of each row
	d     int
}

func (m *mat) rows() int { return len(m.norms) }

func (m *mat) row(i int) []float32 { return m.x[i*m.d : (i+1)*m.d] }

// setNorms computes the squared norm of every row (in parallel).
func (m *mat) setNorms(workers int) {
	parallel(workers, m.rows(), 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r := m.row(i)
			m.norms[i] = vek32.Dot(r, r)
		}
	})
}

// normalizeRows scales rows lo..hi-1 to unit length; zero rows stay zero.
func normalizeRows(m *mat, lo, hi int) {
	for i := lo; i < hi; i++ {
		normalize(m.row(i))
	}
}

// normalize scales v to unit length in place unless it is zero.
func normalize(v []float32) {
	n := math.Sqrt(float64(vek32.Dot(v, v)))
	if n > 0 {
		vek32.MulNumber_Inplace(v, float32(1/n))
	}
}

// nearest returns the index of the centre nearest to x and the squared
// distance to it, using ||x||² − 2x·c + ||c||² (clamped at 0). Ties go to the
// lower centre index.
func nearest(x []float32, xnorm float32, c *mat) (int32, float32) {
	best := float32(math.Inf(1))
	bi := 0
	for j := range c.rows() {
		v := xnorm - 2*vek32.Dot(x, c.row(j)) + c.norms[j]
		if v < best {
			best, bi = v, j
		}
	}
	return int32(bi), max(best, 0)
}

// sqDist is the squared Euclidean distance, computed directly (no
// cancellation error), used where distances are reported.
func sqDist(x, y []float32) float32 {
	d := vek32.Distance(x, y)
	return d * d
}

// assignRows labels rows of m (all rows when idx is nil, else the listed
// rows) with their nearest centre; labels[t] and dists[t] belong to the t-th
// row processed. With exact set the reported distance is recomputed directly
// for the winning centre.
func assignRows(m *mat, idx []int, c *mat, labels []int32, dists []float32, exact bool, workers int) {
	n := m.rows()
	if idx != nil {
		n = len(idx)
	}
	parallel(workers, n, 16, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			r := t
			if idx != nil {
				r = idx[t]
			}
			x := m.row(r)
			l, d := nearest(x, m.norms[r], c)
			if exact {
				d = sqDist(x, c.row(int(l)))
			}
			labels[t], dists[t] = l, d
		}
	})
}

// parallel calls fn on contiguous sub-ranges of [0, n) on up to workers
// goroutines, each range at least grain long (except possibly when n is
// smaller), and returns when all are done. fn must only write state owned by
// its range so that results do not depend on the split.
func parallel(workers, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	w := min(workers, (n+grain-1)/grain)
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + w - 1) / w
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
