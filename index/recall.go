package index

import (
	"context"
	"fmt"
	"slices"
)

// Recall measures how often the search finds the true neighbours:
// recall@k = |found ∩ exact| / |exact| summed over the queries, where
// "found" is SearchWith(q, opt) (Method Graph unless opt says otherwise)
// and "exact" the exact k nearest of the vector source (SetSource), both
// with opt.K and opt.Exclude. The exact side is one streaming pass over the
// source for all queries. With no queries recall is 1.
func (x *Index) Recall(queries [][]float32, opt SearchOptions) (float64, error) {
	if opt.K <= 0 {
		return 0, fmt.Errorf("recall: %w: k = %d", ErrInvalidK, opt.K)
	}
	if opt.Method == Auto {
		opt.Method = Graph
	}
	found := make([][]Result, len(queries))
	for i, q := range queries {
		rs, err := x.SearchWith(q, opt)
		if err != nil {
			return 0, fmt.Errorf("recall: query %d: %w", i, err)
		}
		found[i] = rs
	}
	excl := make([][]string, len(queries))
	for i := range excl {
		excl[i] = opt.Exclude
	}
	return x.recallAgainst(queries, excl, opt.K, found)
}

// RecallIDs is Recall with stored vectors as queries: each id's own vector
// (from the fetcher), with the id itself left out of both result lists (as
// SearchID does).
func (x *Index) RecallIDs(ids []string, opt SearchOptions) (float64, error) {
	if opt.K <= 0 {
		return 0, fmt.Errorf("recall: %w: k = %d", ErrInvalidK, opt.K)
	}
	if opt.Method == Auto {
		opt.Method = Graph
	}
	x.mu.RLock()
	fetch := x.fetch
	x.mu.RUnlock()
	if fetch == nil {
		return 0, fmt.Errorf("recall: %w", ErrNoSource)
	}
	qs := make([][]float32, len(ids))
	if err := fetch.Vectors(ids, qs); err != nil {
		return 0, fmt.Errorf("recall: reading query vectors: %w", err)
	}
	found := make([][]Result, len(ids))
	excl := make([][]string, len(ids))
	for i, id := range ids {
		if len(qs[i]) == 0 {
			return 0, fmt.Errorf("recall: %q: %w", id, ErrNotFound)
		}
		rs, err := x.SearchID(id, opt)
		if err != nil {
			return 0, fmt.Errorf("recall: %w", err)
		}
		found[i] = rs
		excl[i] = append(slices.Clip(opt.Exclude), id)
	}
	return x.recallAgainst(qs, excl, opt.K, found)
}

func (x *Index) recallAgainst(qs [][]float32, excl [][]string, k int, found [][]Result) (float64, error) {
	if len(qs) == 0 {
		return 1, nil
	}
	x.mu.RLock()
	src := x.scan
	x.mu.RUnlock()
	if src == nil {
		return 0, fmt.Errorf("recall: %w", ErrNoSource)
	}
	want, err := ExactSearch(context.Background(), src, qs, k, excl)
	if err != nil {
		return 0, fmt.Errorf("recall: %w", err)
	}
	hits, total := 0, 0
	for i, w := range want {
		for _, e := range w {
			if slices.ContainsFunc(found[i], func(r Result) bool { return r.ID == e.ID }) {
				hits++
			}
		}
		total += len(w)
	}
	if total == 0 {
		return 1, nil
	}
	return float64(hits) / float64(total), nil
}
