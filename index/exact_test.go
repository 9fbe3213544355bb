package index

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDotMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 3, 7, 8, 31, 32, 33, 100, 4096, 4099} {
		a, b := randVec(rng, n), randVec(rng, n)
		var want float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
		}
		tol := 1e-5 * math.Sqrt(float64(n)) * 4
		if got := float64(dot(a, b)); math.Abs(got-want) > tol {
			t.Errorf("n=%d: dot = %v, want %v", n, got, want)
		}
		if got := float64(dotGo(a, b)); math.Abs(got-want) > tol {
			t.Errorf("n=%d: dotGo = %v, want %v", n, got, want)
		}
	}
}

// naiveSearch is the reference: every distance, computed with the same
// kernel, sorted by (distance, id).
func naiveSearch(x *Index, q []float32, k int, exclude string) []Result {
	u := make([]float32, x.dim)
	if err := normalise(u, q, x.dim); err != nil {
		panic(err)
	}
	var all []Result
	for s, id := range x.ids {
		if id != "" && id != exclude {
			all = append(all, Result{id, cosDist(dot(u, x.vec(uint32(s))))})
		}
	}
	slices.SortFunc(all, func(a, b Result) int {
		return cmp.Or(cmp.Compare(a.Distance, b.Distance), cmp.Compare(a.ID, b.ID))
	})
	return all[:min(k, len(all))]
}

func TestExactMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	// 40 vectors stay on one goroutine; 3000 × 128 is split over cores.
	for _, n := range []int{1, 40, 3000} {
		dim := 128
		x := mustNew(t, dim, Config{})
		for i := range n {
			v := randVec(rng, dim)
			if i%10 == 3 { // exact duplicates: ties broken by id
				v, _ = x.Vector(idOf(i - 1))
			}
			if err := x.addUnlinked(idOf(i), v); err != nil {
				t.Fatal(err)
			}
		}
		// Deleted slots must be skipped.
		x.mu.Lock()
		x.remove(x.slots[idOf(0)])
		x.mu.Unlock()
		for j := range 20 {
			q := randVec(rng, dim)
			if j%4 == 0 && n > 5 {
				q, _ = x.Vector(idOf(2))
			}
			for _, k := range []int{1, 10, n + 5} {
				got, err := x.SearchExact(q, k)
				if err != nil {
					t.Fatal(err)
				}
				if want := naiveSearch(x, q, k, ""); !slices.Equal(got, want) {
					t.Fatalf("n=%d k=%d: exact %v\nnaive %v", n, k, got, want)
				}
				got, _ = x.SearchWith(q, SearchOptions{K: k, Method: Exact, Exclude: []string{idOf(5)}})
				if want := naiveSearch(x, q, k, idOf(5)); !slices.Equal(got, want) {
					t.Fatalf("n=%d k=%d excluding: exact %v\nnaive %v", n, k, got, want)
				}
			}
		}
	}
}
