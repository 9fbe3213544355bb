package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/vecimg/vecimg/internal/pca"
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

// Parameters of the map's PCA: two components from a sketch of mapSketch
// directions to which AᵀA is applied mapIters times (a range finder and
// one power iteration: the subspace of the earlier map's own sketch).
const (
	mapSketch = 12
	mapIters  = 2
)

// pca2 finds the top two principal components with internal/pca, streaming
// the vectors from the store (one scan for the mean, then 2·mapIters+1
// scans for the products) in float64. Memory: the ids, n×l plus l×dim
// floats. The coordinates of each image are its centred vector's
// projections on the two components, whose signs follow internal/pca's
// convention (largest entry positive), so the map does not flip between
// runs.
func pca2(ctx context.Context, st *store.Store, dim int) (MapResult, error) {
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
	k := min(2, dim)
	p, err := pca.Top[float64](&storeMatrix{ctx: ctx, st: st, mean: mean, n: n}, pca.Options[float64]{
		K: k, Extra: mapSketch - 2, Iters: mapIters, Seed: 1, Project: true,
	})
	if err != nil {
		return MapResult{}, err
	}
	for c := range k {
		res.Explained[c] = p.Var[c] * float64(n) / total
		for i := range n {
			if c == 0 {
				res.Points[i].X = float32(p.Proj[c][i])
			} else {
				res.Points[i].Y = float32(p.Proj[c][i])
			}
		}
	}
	return res, nil
}

// storeMatrix is the store's vectors less their mean as a pca.Matrix: each
// product is one scan of the store, in float64.
type storeMatrix struct {
	ctx  context.Context
	st   *store.Store
	mean []float64
	n    int
}

func (s *storeMatrix) Rows() int { return s.n }
func (s *storeMatrix) Cols() int { return len(s.mean) }

// scan calls f with the index and the centred value of each stored vector,
// failing if the store no longer holds the n vectors it had.
func (s *storeMatrix) scan(f func(i int, d []float64)) error {
	i := 0
	d := make([]float64, len(s.mean))
	err := s.st.ScanVectors(s.ctx, func(id string, v []float32) error {
		if i >= s.n || len(v) != len(d) {
			return errStoreChanged
		}
		for j, x := range v {
			d[j] = float64(x) - s.mean[j]
		}
		f(i, d)
		i++
		return nil
	})
	if err == nil && i != s.n {
		err = errStoreChanged
	}
	return err
}

var errStoreChanged = errors.New("the store changed while the map was computed; ask again")

func (s *storeMatrix) Mul(m, out [][]float64) error {
	return s.scan(func(i int, d []float64) {
		for c, mc := range m {
			var t float64
			for j, x := range d {
				t += x * mc[j]
			}
			out[c][i] = t
		}
	})
}

func (s *storeMatrix) MulT(y, out [][]float64) error {
	for _, o := range out {
		clear(o)
	}
	return s.scan(func(i int, d []float64) {
		for c, o := range out {
			w := y[c][i]
			for j, x := range d {
				o[j] += x * w
			}
		}
	})
}
