package dedup

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// fakeStore is a tiny brute-force "index" over unit vectors, with a log of
// the queries it answered.
type fakeStore struct {
	items []Item
	vecs  map[string][]float64

	mu      sync.Mutex
	queries map[string][]int // id -> k of each query
}

func newFake() *fakeStore {
	return &fakeStore{vecs: map[string][]float64{}, queries: map[string][]int{}}
}

func (f *fakeStore) add(it Item, v []float64) {
	n := 0.0
	for _, x := range v {
		n += x * x
	}
	u := make([]float64, len(v))
	for i, x := range v {
		u[i] = x / math.Sqrt(n)
	}
	f.items = append(f.items, it)
	f.vecs[it.ID] = u
}

func (f *fakeStore) dist(a, b string) float32 {
	va, vb := f.vecs[a], f.vecs[b]
	d := 0.0
	for i := range va {
		d += va[i] * vb[i]
	}
	return float32(max(0, 1-d))
}

func (f *fakeStore) Items(ctx context.Context, fn func(Item) error) error {
	for _, it := range f.items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) Neighbours(ctx context.Context, id string, k int) ([]Neighbour, error) {
	f.mu.Lock()
	f.queries[id] = append(f.queries[id], k)
	f.mu.Unlock()
	if _, ok := f.vecs[id]; !ok {
		return nil, fmt.Errorf("unknown id %q", id)
	}
	var out []Neighbour
	for _, it := range f.items {
		if it.ID != id {
			out = append(out, Neighbour{ID: it.ID, Distance: f.dist(id, it.ID)})
		}
	}
	slices.SortFunc(out, func(a, b Neighbour) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out[:min(k, len(out))], nil
}

func (f *fakeStore) Distance(a, b string) (float32, error) {
	if f.vecs[a] == nil || f.vecs[b] == nil {
		return 0, fmt.Errorf("unknown id %q or %q", a, b)
	}
	return f.dist(a, b), nil
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// around returns a vector at cosine distance about d from base (in a random
// direction orthogonal to it).
func around(rng *rand.Rand, base []float64, d float64) []float64 {
	n := len(base)
	r := make([]float64, n)
	dot, nb := 0.0, 0.0
	for i := range r {
		r[i] = rng.NormFloat64()
		dot += r[i] * base[i]
		nb += base[i] * base[i]
	}
	nr := 0.0
	for i := range r {
		r[i] -= dot / nb * base[i]
		nr += r[i] * r[i]
	}
	c := 1 - d // cos
	s := math.Sqrt(1 - c*c)
	out := make([]float64, n)
	for i := range out {
		out[i] = c*base[i]/math.Sqrt(nb) + s*r[i]/math.Sqrt(nr)
	}
	return out
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}
