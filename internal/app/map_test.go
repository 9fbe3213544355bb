package app

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/internal/eigen"
	"github.com/vecimg/vecimg/store"
)

// The randomised PCA of the map agrees with the exact one (the eigenvectors
// of the full covariance) on a small store: with 10 dimensions (the sketch
// covers them all) and with 60 and a decaying spectrum (the sketch of 12
// covers a fifth).
func TestPCA2MatchesExact(t *testing.T) {
	t.Run("dim10", func(t *testing.T) {
		checkMapPCA(t, []float64{5, 3, 1, .5, .4, .3, .2, .1, .1, .1})
	})
	t.Run("dim60", func(t *testing.T) {
		scale := make([]float64, 60)
		for j := range scale {
			scale[j] = 5 * math.Pow(0.8, float64(j))
		}
		checkMapPCA(t, scale)
	})
}

// checkMapPCA stores 200 vectors with independent coordinates of standard
// deviations scale and compares the map with the exact PCA.
func checkMapPCA(t *testing.T, scale []float64) {
	const n = 200
	dim := len(scale)
	r := rand.New(rand.NewPCG(5, 6))
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.EnsureManifest(store.Manifest{Schema: store.SchemaVersion, Model: "m", Preset: "p", Dim: dim}); err != nil {
		t.Fatal(err)
	}
	vecs := make([][]float64, n)
	var recs []store.Record
	for i := range n {
		v := make([]float32, dim)
		vecs[i] = make([]float64, dim)
		for j := range dim {
			vecs[i][j] = r.NormFloat64()*scale[j] + 2
			v[j] = float32(vecs[i][j])
			vecs[i][j] = float64(v[j])
		}
		recs = append(recs, store.Record{ID: fmt.Sprint(i), Path: "/x", SHA256: fmt.Sprintf("%064x", i+1), Width: 1, Height: 1, Vector: v})
	}
	if err := st.Put(recs); err != nil {
		t.Fatal(err)
	}
	res, err := pca2(context.Background(), st, dim)
	if err != nil {
		t.Fatal(err)
	}
	// Exact: covariance, its eigenvectors by the same Jacobi routine.
	mean := make([]float64, dim)
	for _, v := range vecs {
		for j := range dim {
			mean[j] += v[j] / n
		}
	}
	cov := make([]float64, dim*dim)
	var total float64
	for _, v := range vecs {
		for a := range dim {
			total += (v[a] - mean[a]) * (v[a] - mean[a])
			for b := range dim {
				cov[a*dim+b] += (v[a] - mean[a]) * (v[b] - mean[b])
			}
		}
	}
	vals, evecs := eigen.Symmetric(cov, dim)
	at := map[string]MapPoint{}
	for _, p := range res.Points {
		at[p.ID] = p
	}
	for c := range 2 {
		if want := vals[c] / total; math.Abs(res.Explained[c]-want) > 1e-3*want {
			t.Errorf("axis %d explains %.6f, exact PCA %.6f", c, res.Explained[c], want)
		}
		// Coordinates equal up to sign.
		var dot, na, nb float64
		for i, v := range vecs {
			var e float64
			for j := range dim {
				e += (v[j] - mean[j]) * evecs[j*dim+c]
			}
			p := at[fmt.Sprint(i)]
			got := float64(p.X)
			if c == 1 {
				got = float64(p.Y)
			}
			dot, na, nb = dot+got*e, na+got*got, nb+e*e
		}
		if cos := math.Abs(dot) / math.Sqrt(na*nb); cos < 0.9999 {
			t.Errorf("axis %d: |cos| between the map's and the exact coordinates is %.6f", c, cos)
		}
		if math.Abs(math.Sqrt(na)-math.Sqrt(nb)) > 1e-3*math.Sqrt(nb) {
			t.Errorf("axis %d: scale %.4f, exact %.4f", c, math.Sqrt(na), math.Sqrt(nb))
		}
	}
}
