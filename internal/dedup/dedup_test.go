package dedup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func ids(g Group) []string {
	var out []string
	for _, m := range g.Members {
		out = append(out, m.ID)
	}
	return out
}

func TestGroupsIdenticalAndNear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFake()
	a := randVec(rng, 32)
	b := randVec(rng, 32)
	// group A: a0 (small), a1 (largest), a2 (as large as a1 but newer)
	f.add(Item{ID: "a0", SHA256: sha("a0"), Width: 100, Height: 100, Order: 1}, a)
	f.add(Item{ID: "a1", SHA256: sha("a1"), Width: 400, Height: 300, Order: 5}, around(rng, a, 0.02))
	f.add(Item{ID: "a2", SHA256: sha("a2"), Width: 300, Height: 400, Order: 9}, around(rng, a, 0.03))
	// group B: two of the same size, same order: smaller id kept
	f.add(Item{ID: "b9", SHA256: sha("b9"), Width: 50, Height: 50, Order: 3}, b)
	f.add(Item{ID: "b1", SHA256: sha("b1"), Width: 50, Height: 50, Order: 3}, around(rng, b, 0.04))
	// identical files: c (old) and c-copy (new), plus c-copy2 with no vector work expected
	c := randVec(rng, 32)
	f.add(Item{ID: "c", SHA256: sha("c"), Width: 10, Height: 10, Order: 2}, c)
	f.add(Item{ID: "c-copy", SHA256: sha("c"), Width: 10, Height: 10, Order: 7}, c)
	f.add(Item{ID: "c-copy2", SHA256: sha("c"), Width: 10, Height: 10, Order: 8}, c)
	// singletons, far from everything
	for i := range 5 {
		f.add(Item{ID: fmt.Sprintf("s%d", i), SHA256: sha(fmt.Sprint(i)), Width: 1, Height: 1}, randVec(rng, 32))
	}
	// an item with no hash never joins an identical group
	f.add(Item{ID: "nohash", Width: 1, Height: 1}, randVec(rng, 32))

	res, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.1, K: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 3 {
		t.Fatalf("got %d groups, want 3: %+v", len(res.Groups), res.Groups)
	}
	// sizes 3, 3, 2: the identical group first among equals
	g0, g1, g2 := res.Groups[0], res.Groups[1], res.Groups[2]
	if g0.Kind != Identical || !slices.Equal(ids(g0), []string{"c", "c-copy", "c-copy2"}) || g0.Keep != "c" {
		t.Errorf("group 0 = %+v, want identical c, c-copy, c-copy2 keeping c", g0)
	}
	for _, m := range g0.Members {
		if m.Distance != 0 {
			t.Errorf("identical member %s has distance %v", m.ID, m.Distance)
		}
	}
	if g1.Kind != Near || g1.Keep != "a1" || !slices.Equal(ids(g1), []string{"a1", "a2", "a0"}) && !slices.Equal(ids(g1), []string{"a1", "a0", "a2"}) {
		t.Errorf("group 1 = %+v, want near group keeping a1 (largest, older than a2)", g1)
	}
	if !g1.Members[0].Keep || g1.Members[1].Keep || g1.Members[2].Keep {
		t.Errorf("keep flags wrong: %+v", g1.Members)
	}
	for i, m := range g1.Members {
		want := f.dist("a1", m.ID)
		if m.Distance != want {
			t.Errorf("%s: distance %v, want %v (to the kept a1)", m.ID, m.Distance, want)
		}
		if i > 0 && m.Distance < g1.Members[i-1].Distance {
			t.Errorf("members not ordered by distance: %+v", g1.Members)
		}
	}
	if g2.Keep != "b1" || !slices.Equal(ids(g2), []string{"b1", "b9"}) {
		t.Errorf("group 2 = %+v, want b1 kept (same size and age: smaller id)", g2)
	}
	// no vector work for the identical copies
	for _, id := range []string{"c-copy", "c-copy2"} {
		if q := f.queries[id]; len(q) > 0 {
			t.Errorf("%s was queried %v; identical copies need no vector work", id, q)
		}
	}
	if len(f.queries["c"]) == 0 {
		t.Error("the kept identical file c was not queried")
	}
	st := res.Stats
	if st.Items != 14 || st.Identical != 2 || st.Queried != 12 || st.InGroups != 8 {
		t.Errorf("stats = %+v, want 14 items, 2 identical, 12 queried, 8 in groups", st)
	}
}

func TestGroupsIdenticalKeptJoinsNearGroup(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	f := newFake()
	a := randVec(rng, 16)
	f.add(Item{ID: "x", SHA256: sha("x"), Width: 10, Height: 10, Order: 1}, a)
	f.add(Item{ID: "x-dup", SHA256: sha("x"), Width: 10, Height: 10, Order: 2}, a)
	f.add(Item{ID: "y", SHA256: sha("y"), Width: 20, Height: 20, Order: 3}, around(rng, a, 0.05))
	for i := range 4 {
		f.add(Item{ID: fmt.Sprintf("s%d", i), SHA256: sha(fmt.Sprint(i))}, randVec(rng, 16))
	}
	res, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.1, K: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 {
		t.Fatalf("got %+v, want an identical and a near group", res.Groups)
	}
	var near Group
	for _, g := range res.Groups {
		if g.Kind == Near {
			near = g
		}
	}
	if near.Keep != "y" || !slices.Equal(ids(near), []string{"y", "x"}) {
		t.Fatalf("near group = %+v, want y (larger) and x, without x-dup", near)
	}
	if near.Members[1].Copies != 1 {
		t.Errorf("x copies = %d, want 1", near.Members[1].Copies)
	}
	if res.Stats.InGroups != 3 {
		t.Errorf("in groups = %d, want 3 (x, x-dup, y)", res.Stats.InGroups)
	}
}

func TestGroupsChainAndAdaptiveK(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	f := newFake()
	// a chain: each step 0.06 from the previous, ends far apart
	v := randVec(rng, 64)
	for i := range 6 {
		f.add(Item{ID: fmt.Sprintf("chain%d", i), SHA256: sha(fmt.Sprint("c", i))}, v)
		v = around(rng, v, 0.06)
	}
	// a tight blob of 40 (all within D of each other): K=4 must be raised
	b := randVec(rng, 64)
	for i := range 40 {
		f.add(Item{ID: fmt.Sprintf("blob%02d", i), SHA256: sha(fmt.Sprint("b", i))}, around(rng, b, 0.01))
	}
	for i := range 10 {
		f.add(Item{ID: fmt.Sprintf("s%d", i), SHA256: sha(fmt.Sprint("s", i))}, randVec(rng, 64))
	}
	if d := f.dist("chain0", "chain5"); d <= 0.08 {
		t.Fatalf("test setup: chain ends at %v, want > D", d)
	}
	res, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.08, K: 4, MaxK: 64})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups[0].Members) != 40 {
		t.Fatalf("the blob is not one group: %+v", res.Stats)
	}
	// No chain: the chain is cut into groups whose members all lie within D
	// of their kept image, and its ends are never together.
	inChain := 0
	for _, g := range res.Groups[1:] {
		for _, m := range g.Members {
			if f.dist(g.Keep, m.ID) > 0.08 {
				t.Errorf("group of %s holds %s at %v > D", g.Keep, m.ID, f.dist(g.Keep, m.ID))
			}
			if !strings.HasPrefix(m.ID, "chain") {
				t.Errorf("%s grouped with the chain", m.ID)
			}
			if m.ID == "chain5" && slices.Contains(ids(g), "chain0") {
				t.Errorf("chain ends grouped together: %v", ids(g))
			}
			inChain++
		}
	}
	if inChain < 4 || res.Stats.Chained != 0 {
		t.Errorf("%d chain images grouped, %d chained members", inChain, res.Stats.Chained)
	}
	if res.Stats.Raised != 40 || res.Stats.Capped != 0 {
		t.Errorf("stats %+v: want the 40 blob members raised, none capped", res.Stats)
	}
	if q := f.queries["blob00"]; !slices.Equal(q, []int{4, 8, 16, 32, 64}) {
		t.Errorf("blob00 queried with k = %v, want 4 doubling to 64", q)
	}
	if q := f.queries["s0"]; !slices.Equal(q, []int{4}) {
		t.Errorf("s0 queried with k = %v, want one query", q)
	}

	// With a cap below the blob size the capped members are counted, and
	// the groups stay without chains.
	f.queries = map[string][]int{}
	res, err = Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.08, K: 4, MaxK: 8})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Capped != 40 || res.MaxK != 8 || res.Stats.Chained != 0 {
		t.Errorf("stats %+v: want 40 capped at MaxK 8, no chains", res.Stats)
	}
}

// Groups must find the star groups that a brute-force pass over all pairs
// finds with the same rule (visit images best first; an ungrouped image
// takes every ungrouped image within D), when the neighbour queries are
// exact and the cap is not reached.
func TestGroupsMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	f := newFake()
	centres := make([][]float64, 25)
	for i := range centres {
		centres[i] = randVec(rng, 24)
	}
	for i := range 300 {
		c := centres[rng.IntN(len(centres))]
		d := []float64{0.01, 0.05, 0.12, 0.3, 0.6}[rng.IntN(5)]
		f.add(Item{ID: fmt.Sprintf("i%03d", i), SHA256: sha(fmt.Sprint(i)), Width: rng.IntN(5), Height: 1, Order: int64(rng.IntN(3))}, around(rng, c, d))
	}
	const D = 0.15
	for _, rule := range []KeepRule{KeepLargest, KeepOldest, KeepNewest} {
		tab, _ := collect(context.Background(), f.Items, Options{Keep: rule})
		order := make([]int32, len(f.items))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int {
			if tab.better(a, b) {
				return -1
			}
			return 1
		})
		want := map[string]string{} // member id -> kept id
		grouped := map[int32]bool{}
		for _, s := range order {
			if grouped[s] {
				continue
			}
			var ms []int32
			for j := range int32(len(f.items)) {
				if j != s && !grouped[j] && f.dist(f.items[s].ID, f.items[j].ID) <= D {
					ms = append(ms, j)
				}
			}
			if len(ms) == 0 {
				continue
			}
			grouped[s] = true
			want[f.items[s].ID] = f.items[s].ID
			for _, j := range ms {
				grouped[j] = true
				want[f.items[j].ID] = f.items[s].ID
			}
		}
		for _, workers := range []int{1, 2, 7} {
			res, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: D, PHash: Off, DHash: Off, K: 3, MaxK: 512, Workers: workers, Keep: rule})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for gi, g := range res.Groups {
				if gi > 0 && len(g.Members) > len(res.Groups[gi-1].Members) {
					t.Errorf("groups not largest first")
				}
				for _, m := range g.Members {
					got[m.ID] = g.Keep
					if !m.Keep && (m.Distance > D || !slices.Equal(m.MatchedBy, []string{ByVector})) {
						t.Errorf("%s in the group of %s: distance %v, matched by %v", m.ID, g.Keep, m.Distance, m.MatchedBy)
					}
				}
			}
			if !maps.Equal(got, want) {
				t.Fatalf("rule %d, workers %d: %d images in groups, brute force %d, or other groups", rule, workers, len(got), len(want))
			}
			if res.Stats.Chained != 0 {
				t.Errorf("%d chained", res.Stats.Chained)
			}
		}
	}
}

func TestGroupsProgress(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	f := newFake()
	v := randVec(rng, 8)
	for i := range 50 {
		f.add(Item{ID: fmt.Sprint(i), SHA256: sha(fmt.Sprint(i))}, around(rng, v, 0.01))
	}
	var mu sync.Mutex
	type call struct {
		stage       string
		done, total int64
	}
	var calls []call
	_, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.1, Progress: func(s string, d, tot int64) {
		mu.Lock()
		calls = append(calls, call{s, d, tot})
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	// two stages: 50 queries, then 49 distances to the kept member
	if calls[0] != (call{StageNeighbours, 0, 50}) || !slices.Contains(calls, call{StageNeighbours, 50, 50}) ||
		!slices.Contains(calls, call{StageDistances, 0, 49}) || calls[len(calls)-1] != (call{StageDistances, 49, 49}) {
		t.Errorf("progress calls %v: want neighbours 0/50 .. 50/50, then distances 0/49 .. 49/49", calls)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].stage == calls[i-1].stage && calls[i].done < calls[i-1].done {
			t.Errorf("progress went back: %v then %v", calls[i-1], calls[i])
		}
	}
}

func TestGroupsErrors(t *testing.T) {
	f := newFake()
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 5 {
		f.add(Item{ID: fmt.Sprint(i)}, randVec(rng, 4))
	}
	ctx := context.Background()
	for _, o := range []Options{
		{Threshold: 2.5}, {Threshold: -0.1, PHash: Off, DHash: Off}, {Threshold: 0.1, PHash: 16},
		{Threshold: 0.1, Keep: KeepUnder}, {Threshold: 0.1, KeepUnder: "/x"}, {Threshold: 0.1, Keep: 9},
	} {
		if _, err := Groups(ctx, f.Items, f.Neighbours, f.Distance, o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: err = %v, want ErrInvalidOptions", o, err)
		}
	}
	if _, err := Groups(ctx, f.Items, nil, f.Distance, Options{Threshold: 0.1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("nil Neighbours: %v", err)
	}
	// a neighbour the item list does not know: the index is out of date
	stale := func(ctx context.Context, id string, k int) ([]Neighbour, error) {
		return []Neighbour{{ID: "ghost", Distance: 0}}, nil
	}
	_, err := Groups(ctx, f.Items, stale, f.Distance, Options{Threshold: 0.1})
	if err == nil || !strings.Contains(err.Error(), `"ghost"`) || !strings.Contains(err.Error(), "out of date") {
		t.Errorf("stale index: err = %v", err)
	}
	boom := errors.New("boom")
	failing := func(ctx context.Context, id string, k int) ([]Neighbour, error) { return nil, boom }
	if _, err := Groups(ctx, f.Items, failing, f.Distance, Options{Threshold: 0.1}); !errors.Is(err, boom) {
		t.Errorf("failing Neighbours: err = %v, want boom", err)
	}
	dup := func(ctx context.Context, fn func(Item) error) error {
		if err := fn(Item{ID: "a"}); err != nil {
			return err
		}
		return fn(Item{ID: "a"})
	}
	if _, err := Groups(ctx, dup, f.Neighbours, f.Distance, Options{Threshold: 0.1}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate item: err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Groups(cctx, f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestGroupsEmpty(t *testing.T) {
	f := newFake()
	res, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Groups == nil || len(res.Groups) != 0 || res.Stats.Items != 0 {
		t.Errorf("empty store: %+v (Groups should be an empty, non-nil list)", res)
	}
}

// TestDefaultPHashFor: the higher pHash threshold up to LargeStore images,
// the cheaper one above.
func TestDefaultPHashFor(t *testing.T) {
	for n, want := range map[int]int{0: DefaultPHash, LargeStore: DefaultPHash, LargeStore + 1: DefaultPHashLarge, 1_000_000: DefaultPHashLarge} {
		if got := DefaultPHashFor(n); got != want {
			t.Errorf("DefaultPHashFor(%d) = %d, want %d", n, got, want)
		}
	}
	if DefaultPHashLarge >= DefaultPHash {
		t.Errorf("the large-store threshold %d is not below %d", DefaultPHashLarge, DefaultPHash)
	}
}
