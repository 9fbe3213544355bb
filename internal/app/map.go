package app

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/vecimg/vecimg/internal/eigen"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// MapResult places every stored image on a plane (types.Map).
type MapResult = types.Map

// MapPoint is one image on the map.
type MapPoint = types.MapPoint

type mapCache struct {
	gen uint64
	res MapResult
}

// Map projects the stored vectors to 2-D. The projection is computed once
// per store generation (a few passes over the vectors) and kept; labels are
// the current ones.
func (a *App) Map(ctx context.Context) (MapResult, error) {
	st, man, _, err := a.nonEmptyStore()
	if err != nil {
		return MapResult{}, err
	}
	gen, err := st.Generation()
	if err != nil {
		return MapResult{}, err
	}
	a.views.mu.Lock()
	mc := a.views.mp
	a.views.mu.Unlock()
	if mc == nil || mc.gen != gen {
		res, err := pca2(ctx, st, man.Dim)
		if err != nil {
			return MapResult{}, err
		}
		res.Generation = gen
		mc = &mapCache{gen: gen, res: res}
		a.views.mu.Lock()
		a.views.mp = mc
		a.views.mu.Unlock()
	}
	labels, err := a.Labels(ctx)
	if err != nil {
		return MapResult{}, err
	}
	out := mc.res
	out.Points = make([]MapPoint, len(mc.res.Points))
	for i, p := range mc.res.Points {
		l, ok := labels[p.ID]
		if !ok {
			l = store.NoLabel
		}
		p.Label = l
		out.Points[i] = p
	}
	return out, nil
}

// pca2 finds the top two principal components with a randomised range
// finder (Halko, Martinsson & Tropp 2011: a Gaussian sketch of width l,
// one power iteration), streaming the vectors from the store; the result
// is exact up to the sketch's accuracy, which for two components out of
// l = 12 is close to the true PCA. Memory: n×l plus l×dim floats. It
// streams every vector, where index's topComponents holds a sample in
// memory, so the two sketches stay apart and share the eigen solver.
func pca2(ctx context.Context, st *store.Store, dim int) (MapResult, error) {
	const l = 12
	var ids []string
	mean := make([]float64, dim)
	var sumSq float64
	err := st.ScanVectors(ctx, func(id string, v []float32) error {
		if len(v) != dim {
			return fmt.Errorf("vector of %q has %d values, the store's dimension is %d", id, len(v), dim)
		}
		ids = append(ids, id)
		for j, f := range v {
			mean[j] += float64(f)
			sumSq += float64(f) * float64(f)
		}
		return nil
	})
	if err != nil {
		return MapResult{}, err
	}
	n := len(ids)
	var res MapResult
	res.Points = make([]MapPoint, n)
	for i, id := range ids {
		res.Points[i].ID = id
	}
	if n < 2 {
		return res, nil
	}
	var meanSq float64
	for j := range mean {
		mean[j] /= float64(n)
		meanSq += mean[j] * mean[j]
	}
	total := sumSq - float64(n)*meanSq // Σ‖x − mean‖²
	if total <= 0 {
		return res, nil // all vectors equal
	}
	// Y = (X − mean) Ω with Ω a seeded Gaussian dim×l matrix.
	rng := rand.New(rand.NewPCG(1, 2))
	omega := make([]float64, dim*l)
	for i := range omega {
		omega[i] = rng.NormFloat64()
	}
	y := make([]float64, n*l)
	if err := multiplyRight(ctx, st, mean, omega, l, y); err != nil {
		return MapResult{}, err
	}
	orthonormalise(y, n, l)
	// One power iteration: Z = (X − mean)ᵀ Y, Y = (X − mean) Z.
	z := make([]float64, dim*l)
	if err := multiplyLeft(ctx, st, mean, y, l, z); err != nil {
		return MapResult{}, err
	}
	if err := multiplyRight(ctx, st, mean, z, l, y); err != nil {
		return MapResult{}, err
	}
	orthonormalise(y, n, l)
	// B = Qᵀ (X − mean) is l×dim (stored as its transpose in z); the
	// eigenvectors U of B Bᵀ give the components: X V = Q U Σ.
	if err := multiplyLeft(ctx, st, mean, y, l, z); err != nil {
		return MapResult{}, err
	}
	bbt := make([]float64, l*l)
	for a := range l {
		for b := a; b < l; b++ {
			var s float64
			for j := range dim {
				s += z[j*l+a] * z[j*l+b]
			}
			bbt[a*l+b], bbt[b*l+a] = s, s
		}
	}
	vals, vecs := jacobiEigen(bbt, l)
	for c := range 2 {
		res.Explained[c] = math.Max(vals[c], 0) / total
		sigma := math.Sqrt(math.Max(vals[c], 0))
		// Sign: make the largest coordinate positive, so the map does not
		// flip between runs.
		coords := make([]float64, n)
		big := 0.0
		for i := range n {
			var s float64
			for j := range l {
				s += y[i*l+j] * vecs[j*l+c]
			}
			coords[i] = s * sigma
			if math.Abs(coords[i]) > math.Abs(big) {
				big = coords[i]
			}
		}
		for i := range n {
			if big < 0 {
				coords[i] = -coords[i]
			}
			if c == 0 {
				res.Points[i].X = float32(coords[i])
			} else {
				res.Points[i].Y = float32(coords[i])
			}
		}
	}
	return res, nil
}

// multiplyRight sets out (n×l) = (X − mean) m, m being dim×l, one pass.
func multiplyRight(ctx context.Context, st *store.Store, mean, m []float64, l int, out []float64) error {
	i := 0
	row := make([]float64, l)
	return st.ScanVectors(ctx, func(id string, v []float32) error {
		if i*l >= len(out) {
			return fmt.Errorf("the store changed while the map was computed; ask again")
		}
		clear(row)
		for j, f := range v {
			d := float64(f) - mean[j]
			mj := m[j*l : j*l+l]
			for c := range l {
				row[c] += d * mj[c]
			}
		}
		copy(out[i*l:], row)
		i++
		return nil
	})
}

// multiplyLeft sets out (dim×l) = (X − mean)ᵀ q, q being n×l, one pass.
func multiplyLeft(ctx context.Context, st *store.Store, mean, q []float64, l int, out []float64) error {
	clear(out)
	i := 0
	return st.ScanVectors(ctx, func(id string, v []float32) error {
		if i*l >= len(q) {
			return fmt.Errorf("the store changed while the map was computed; ask again")
		}
		qi := q[i*l : i*l+l]
		for j, f := range v {
			d := float64(f) - mean[j]
			oj := out[j*l : j*l+l]
			for c := range l {
				oj[c] += d * qi[c]
			}
		}
		i++
		return nil
	})
}

// orthonormalise makes the l columns of the n×l matrix y orthonormal
// (modified Gram-Schmidt, twice for stability); a column that vanishes is
// left zero.
func orthonormalise(y []float64, n, l int) {
	for range 2 {
		for c := range l {
			for p := range c {
				var d float64
				for i := range n {
					d += y[i*l+c] * y[i*l+p]
				}
				for i := range n {
					y[i*l+c] -= d * y[i*l+p]
				}
			}
			var s float64
			for i := range n {
				s += y[i*l+c] * y[i*l+c]
			}
			s = math.Sqrt(s)
			for i := range n {
				if s > 1e-300 {
					y[i*l+c] /= s
				} else {
					y[i*l+c] = 0
				}
			}
		}
	}
}

// jacobiEigen returns the eigenvalues of the symmetric l×l matrix m in
// decreasing order and the matching eigenvectors as the columns of vecs
// (internal/eigen, the solver index's PCA uses too).
func jacobiEigen(m []float64, l int) (vals, vecs []float64) {
	return eigen.Symmetric(m, l)
}
