package index

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func randVec(rng *rand.Rand, dim int) []float32 { return gauss(rng, dim, 1) }

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		dim int
		cfg Config
		err error
	}{
		{0, Config{}, ErrDimension},
		{-3, Config{}, ErrDimension},
		{8, Config{M: 1}, ErrConfig},
		{8, Config{M: 1000}, ErrConfig},
		{8, Config{M: 16, EfConstruction: 8}, ErrConfig},
		{8, Config{EfSearch: -1}, ErrConfig},
	} {
		if _, err := New(tc.dim, tc.cfg); !errors.Is(err, tc.err) {
			t.Errorf("New(%d, %+v) = %v, want %v", tc.dim, tc.cfg, err, tc.err)
		}
	}
	x := mustNew(t, 8, Config{})
	if got, want := x.Config(), DefaultConfig(); got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
}

func TestAddRejectsBadInput(t *testing.T) {
	x := mustNew(t, 4, Config{})
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		id  string
		v   []float32
		err error
	}{
		{"a", []float32{1, 2, 3}, ErrDimension},
		{"a", []float32{1, 2, 3, 4, 5}, ErrDimension},
		{"a", nil, ErrDimension},
		{"a", []float32{0, 0, 0, 0}, ErrInvalidVector},
		{"a", []float32{1, nan, 0, 0}, ErrInvalidVector},
		{"a", []float32{1, 0, -inf, 0}, ErrInvalidVector},
		{"", []float32{1, 0, 0, 0}, ErrInvalidID},
		{strings.Repeat("x", MaxIDLen+1), []float32{1, 0, 0, 0}, ErrInvalidID},
	} {
		if err := x.Add(tc.id, tc.v); !errors.Is(err, tc.err) {
			t.Errorf("Add(%.10q, %v) = %v, want %v", tc.id, tc.v, err, tc.err)
		}
	}
	if x.Len() != 0 {
		t.Fatalf("Len after rejected adds = %d", x.Len())
	}
	// Huge but finite components must not overflow the norm.
	if err := x.Add("big", []float32{math.MaxFloat32, math.MaxFloat32, 0, 0}); err != nil {
		t.Fatal(err)
	}
	v, _ := x.Vector("big")
	if d := math.Abs(float64(v[0]) - math.Sqrt(0.5)); d > 1e-6 {
		t.Errorf("normalised huge vector: %v", v)
	}
}

func TestSearchRejectsBadInput(t *testing.T) {
	x := mustNew(t, 3, Config{})
	if err := x.Add("a", []float32{1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []Method{Auto, Graph, Exact} {
		if _, err := x.SearchWith([]float32{1, 0}, SearchOptions{K: 1, Method: m}); !errors.Is(err, ErrDimension) {
			t.Errorf("%v: short query: %v", m, err)
		}
		if _, err := x.SearchWith([]float32{0, 0, 0}, SearchOptions{K: 1, Method: m}); !errors.Is(err, ErrInvalidVector) {
			t.Errorf("%v: zero query: %v", m, err)
		}
		for _, k := range []int{0, -1} {
			if _, err := x.SearchWith([]float32{1, 0, 0}, SearchOptions{K: k, Method: m}); !errors.Is(err, ErrInvalidK) {
				t.Errorf("%v: k=%d: %v", m, k, err)
			}
		}
	}
	if _, err := x.SearchID("missing", SearchOptions{K: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SearchID(missing) = %v", err)
	}
	if _, err := x.SearchID("a", SearchOptions{K: 0}); !errors.Is(err, ErrInvalidK) {
		t.Errorf("SearchID k=0: %v", err)
	}
}

func TestEmptyIndex(t *testing.T) {
	x := mustNew(t, 3, Config{})
	for _, m := range []Method{Auto, Graph, Exact} {
		rs, err := x.SearchWith([]float32{1, 2, 3}, SearchOptions{K: 5, Method: m})
		if err != nil || rs == nil || len(rs) != 0 {
			t.Errorf("%v on empty index: %v, %v", m, rs, err)
		}
	}
	if x.Delete("a") {
		t.Error("Delete on empty index reported true")
	}
	if _, ok := x.Vector("a"); ok {
		t.Error("Vector on empty index")
	}
}

// TestSmallGraph checks the graph on tiny indexes, where every search must
// be exact: the graph is connected and ef covers every node.
func TestSmallGraph(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 40; n++ {
		x := mustNew(t, 8, Config{M: 4, EfConstruction: 16, ExactBelow: -1, Seed: uint64(n)})
		for i := range n {
			if err := x.Add(idOf(i), randVec(rng, 8)); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			q := randVec(rng, 8)
			got, err := x.SearchWith(q, SearchOptions{K: 5, Ef: 64})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := x.SearchExact(q, 5)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d: graph %v, exact %v", n, got, want)
			}
		}
	}
}

func TestResultsOrderAndExclusion(t *testing.T) {
	x := mustNew(t, 3, Config{})
	add := func(id string, v ...float32) {
		t.Helper()
		if err := x.Add(id, v); err != nil {
			t.Fatal(err)
		}
	}
	add("c", 1, 0, 0)
	add("a", 2, 0, 0) // same direction as c: distance ties, ordered by id
	add("b", 1, 1, 0)
	add("d", 0, 1, 0)
	add("e", -1, 0, 0)
	for _, m := range []Method{Graph, Exact} {
		rs, err := x.SearchWith([]float32{3, 0, 0}, SearchOptions{K: 10, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		ids := resultIDs(rs)
		if want := []string{"a", "c", "b", "d", "e"}; !slices.Equal(ids, want) {
			t.Errorf("%v: order %v, want %v", m, ids, want)
		}
		if rs[0].Distance != 0 || rs[4].Distance != 2 {
			t.Errorf("%v: distances %v, want 0 first and 2 last", m, rs)
		}
		if d := rs[2].Distance; math.Abs(float64(d)-(1-1/math.Sqrt2)) > 1e-6 {
			t.Errorf("%v: distance to b = %v", m, d)
		}
		rs, _ = x.SearchWith([]float32{3, 0, 0}, SearchOptions{K: 2, Method: m, Exclude: []string{"a", "zzz"}})
		if ids := resultIDs(rs); !slices.Equal(ids, []string{"c", "b"}) {
			t.Errorf("%v: excluding a: %v", m, ids)
		}
		rs, _ = x.SearchID("c", SearchOptions{K: 2, Method: m})
		if ids := resultIDs(rs); !slices.Equal(ids, []string{"a", "b"}) {
			t.Errorf("%v: SearchID(c): %v", m, ids)
		}
	}
}

func TestAddReplaceDelete(t *testing.T) {
	x := mustNew(t, 3, Config{})
	if err := x.Add("a", []float32{3, 4, 0}); err != nil {
		t.Fatal(err)
	}
	v, ok := x.Vector("a")
	if !ok || !slices.Equal(v, []float32{0.6, 0.8, 0}) {
		t.Fatalf("Vector(a) = %v, %v", v, ok)
	}
	v[0] = 42 // a copy: must not change the index
	if v2, _ := x.Vector("a"); v2[0] != 0.6 {
		t.Fatal("Vector returned the stored slice")
	}
	if err := x.Add("a", []float32{0, 0, 5}); err != nil {
		t.Fatal(err)
	}
	if x.Len() != 1 {
		t.Fatalf("Len after replace = %d", x.Len())
	}
	rs, _ := x.Search([]float32{0, 0, 1}, 1)
	if len(rs) != 1 || rs[0].ID != "a" || rs[0].Distance != 0 {
		t.Fatalf("after replace: %v", rs)
	}
	if err := x.Add("b", []float32{1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.IDs(), []string{"a", "b"}) || !x.Has("b") {
		t.Fatalf("IDs = %v", x.IDs())
	}
	if !x.Delete("a") || x.Delete("a") || x.Has("a") || x.Len() != 1 {
		t.Fatal("Delete(a) misbehaved")
	}
	rs, _ = x.SearchWith([]float32{0, 0, 1}, SearchOptions{K: 5, Method: Graph})
	if ids := resultIDs(rs); !slices.Equal(ids, []string{"b"}) {
		t.Fatalf("after delete: %v", ids)
	}
	x.Delete("b")
	rs, err := x.SearchWith([]float32{0, 0, 1}, SearchOptions{K: 5, Method: Graph})
	if err != nil || len(rs) != 0 {
		t.Fatalf("after deleting all: %v %v", rs, err)
	}
	// Slots are reused and the index works as new.
	if err := x.Add("c", []float32{1, 1, 1}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := x.Search([]float32{1, 1, 1}, 3); len(rs) != 1 || rs[0].ID != "c" {
		t.Fatalf("after reuse: %v", rs)
	}
}

func resultIDs(rs []Result) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// TestAutoUsesExactBelowThreshold checks the ExactBelow switch: below it,
// Search answers exactly even with a deliberately poor graph.
func TestAutoUsesExactBelowThreshold(t *testing.T) {
	m := mixture{Dim: 64, Components: 5, Latent: 4, Spread: 1, Noise: 1, Seed: 9}
	base, qs := m.generate(600, 30)
	x := mustNew(t, 64, Config{M: 2, EfConstruction: 2, EfSearch: 1, ExactBelow: 1000})
	for i, v := range base {
		if err := x.Add(idOf(i), v); err != nil {
			t.Fatal(err)
		}
	}
	graphDiffers := false
	for _, q := range qs {
		auto, _ := x.Search(q, 10)
		exact, _ := x.SearchExact(q, 10)
		graph, _ := x.SearchWith(q, SearchOptions{K: 10, Method: Graph})
		if !slices.Equal(auto, exact) {
			t.Fatalf("Auto below ExactBelow differs from exact")
		}
		graphDiffers = graphDiffers || !slices.Equal(graph, exact)
	}
	if !graphDiffers {
		t.Fatal("graph search with M=2, ef=1 matched exact on every query; the test cannot tell the methods apart")
	}
}
