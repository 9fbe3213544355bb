package cluster

import (
	"math"
	"sync"

	"github.com/vecimg/vecimg/internal/dots"
	"github.com/viterin/vek/vek32"
)

// mat is a list of vectors of dimension d with their squared norms.
type mat struct {
	r     [][]float32 // the rows, each of length d
	norms []float32   // squared norm of each row
	d     int
}

// newMat returns a zero n×d matrix backed by one allocation.
func newMat(n, d int) *mat {
	x := make([]float32, n*d)
	m := &mat{r: make([][]float32, n), norms: make([]float32, n), d: d}
	for i := range m.r {
		m.r[i] = x[i*d : (i+1)*d : (i+1)*d]
	}
	return m
}

func (m *mat) rows() int { return len(m.norms) }

func (m *mat) row(i int) []float32 { return m.r[i] }

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

// block is a set of centres laid out for the dot kernel: rows padded with
// zero rows to a multiple of 4.
type block struct {
	x     []float32 // kp·d values
	norms []float32 // squared norms of the k real rows
	k, kp int
	d     int
}

// newBlock copies the rows of c into a block.
func newBlock(c *mat) *block {
	k := c.rows()
	kp := (k + 3) &^ 3
	x := make([]float32, kp*c.d)
	for j := range k {
		copy(x[j*c.d:], c.row(j))
	}
	return &block{x: x, norms: c.norms, k: k, kp: kp, d: c.d}
}

// eachDots calls fn(t, dots) for t in [lo, hi) with dots[j] = row(t)·c_j for
// the k centres of b; dots is only valid during the call. The dot products
// are computed two rows at a time; a row's values do not depend on which row
// it was paired with, nor on lo and hi.
func eachDots(row func(t int) []float32, lo, hi int, b *block, fn func(t int, dots []float32)) {
	d, kp := b.d, b.kp
	buf := make([]float32, 2*kp)
	d0, d1 := buf[:kp], buf[kp:]
	n8 := d &^ 7
	var out [8]float32
	for t := lo; t < hi; t += 2 {
		x0 := row(t)
		x1 := x0
		if t+1 < hi {
			x1 = row(t + 1)
		}
		if haveDots2x4 {
			for j := 0; j < kp; j += 4 {
				dots.Dots2x4(&x0[0], &x1[0], &b.x[j*d], d, n8, &out)
				copy(d0[j:j+4], out[:4])
				copy(d1[j:j+4], out[4:])
			}
			if n8 < d {
				for j := range b.k {
					c := b.x[j*d : (j+1)*d]
					var s0, s1 float32
					for q := n8; q < d; q++ {
						s0 += x0[q] * c[q]
						s1 += x1[q] * c[q]
					}
					d0[j] += s0
					d1[j] += s1
				}
			}
		} else {
			for j := range b.k {
				c := b.x[j*d : (j+1)*d]
				d0[j] = vek32.Dot(x0, c)
				d1[j] = vek32.Dot(x1, c)
			}
		}
		fn(t, d0[:b.k])
		if t+1 < hi {
			fn(t+1, d1[:b.k])
		}
	}
}

// argminDist returns the centre with the smallest ||x||² − 2x·c + ||c||²
// (ties: lower index) and that value clamped at 0.
func argminDist(xnorm float32, dots []float32, cnorms []float32) (int32, float32) {
	best := float32(math.Inf(1))
	bi := 0
	for j, dt := range dots {
		if v := xnorm - 2*dt + cnorms[j]; v < best {
			best, bi = v, j
		}
	}
	return int32(bi), max(best, 0)
}

// dot is x·y.
func dot(x, y []float32) float32 { return vek32.Dot(x, y) }

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
	b := newBlock(c)
	rowOf := func(t int) int {
		if idx != nil {
			return idx[t]
		}
		return t
	}
	parallel(workers, n, 16, func(lo, hi int) {
		eachDots(func(t int) []float32 { return m.row(rowOf(t)) }, lo, hi, b, func(t int, dots []float32) {
			r := rowOf(t)
			l, d := argminDist(m.norms[r], dots, b.norms)
			if exact {
				d = sqDist(m.row(r), c.row(int(l)))
			}
			labels[t], dists[t] = l, d
		})
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
