package dedup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOutliers(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	f := newFake()
	// three tight clusters of 10 and two lone images
	for c := range 3 {
		centre := randVec(rng, 32)
		for i := range 10 {
			f.add(Item{ID: fmt.Sprintf("c%d_%d", c, i)}, around(rng, centre, 0.05))
		}
	}
	f.add(Item{ID: "lone1"}, randVec(rng, 32))
	f.add(Item{ID: "lone2"}, randVec(rng, 32))

	res, err := Outliers(context.Background(), f.Items, f.Neighbours, OutlierOptions{K: 5, N: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 32 || res.K != 5 || len(res.Outliers) != 3 {
		t.Fatalf("result %+v", res)
	}
	top := []string{res.Outliers[0].ID, res.Outliers[1].ID}
	slices.Sort(top)
	if !slices.Equal(top, []string{"lone1", "lone2"}) {
		t.Errorf("top two = %v, want the lone images", top)
	}
	for i, o := range res.Outliers {
		if i > 0 && o.Score > res.Outliers[i-1].Score {
			t.Errorf("not sorted by score: %+v", res.Outliers)
		}
		all, _ := f.Neighbours(context.Background(), o.ID, 5)
		if o.Score != all[4].Distance || len(o.Neighbours) != 5 || o.Neighbours[4] != all[4] {
			t.Errorf("%s: score %v, want the 5th neighbour's distance %v; neighbours %v", o.ID, o.Score, all[4].Distance, o.Neighbours)
		}
	}
	// the full ranking equals a brute-force one
	res, err = Outliers(context.Background(), f.Items, f.Neighbours, OutlierOptions{K: 2, N: 100, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outliers) != 32 {
		t.Fatalf("N above the count: got %d, want all 32", len(res.Outliers))
	}
	type sc struct {
		id string
		s  float32
	}
	var want []sc
	for _, it := range f.items {
		nb, _ := f.Neighbours(context.Background(), it.ID, 2)
		want = append(want, sc{it.ID, nb[1].Distance})
	}
	slices.SortFunc(want, func(a, b sc) int {
		if a.s != b.s {
			if a.s > b.s {
				return -1
			}
			return 1
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	for i, w := range want {
		if res.Outliers[i].ID != w.id || res.Outliers[i].Score != w.s {
			t.Fatalf("rank %d: got %s %v, want %s %v", i, res.Outliers[i].ID, res.Outliers[i].Score, w.id, w.s)
		}
	}
}

func TestOutliersErrors(t *testing.T) {
	f := newFake()
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 5 {
		f.add(Item{ID: fmt.Sprint(i)}, randVec(rng, 4))
	}
	ctx := context.Background()
	_, err := Outliers(ctx, f.Items, f.Neighbours, OutlierOptions{K: 5})
	if !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("5 images, k 5: err = %v, want ErrInvalidOptions", err)
	}
	if _, err := Outliers(ctx, f.Items, f.Neighbours, OutlierOptions{K: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("k -1: err = %v", err)
	}
	short := func(ctx context.Context, id string, k int) ([]Neighbour, error) { return nil, nil }
	if _, err := Outliers(ctx, f.Items, short, OutlierOptions{K: 2}); err == nil {
		t.Error("an index that returns too few neighbours must fail")
	}
	res, err := Outliers(ctx, f.Items, f.Neighbours, OutlierOptions{K: 4})
	if err != nil || res.N != DefaultOutlierN || len(res.Outliers) != 5 {
		t.Errorf("k 4 on 5 images: %+v, %v", res, err)
	}
}
