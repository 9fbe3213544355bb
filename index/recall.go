package index

import (
	"fmt"
	"slices"
	"sync"
)

// Recall measures how often the graph search finds the true neighbours:
// recall@k = |graph ∩ exact| / |exact|, summed over all queries, where
// "graph" is the result of a graph search (Method Graph, whatever the index
// size) with opt.Ef and "exact" the result of exact search, both with
// opt.K and opt.Exclude. Queries run in parallel. With no queries, or an
// empty index, recall is 1.
func (x *Index) Recall(queries [][]float32, opt SearchOptions) (float64, error) {
	return x.recall(len(queries), opt, func(i int, o SearchOptions) ([]Result, []Result, error) {
		o.Method = Graph
		got, err := x.SearchWith(queries[i], o)
		if err != nil {
			return nil, nil, fmt.Errorf("query %d: %w", i, err)
		}
		o.Method = Exact
		want, err := x.SearchWith(queries[i], o)
		return got, want, err
	})
}

// RecallIDs is Recall with stored vectors as queries: each id's own vector,
// with the id itself left out of both result lists (as SearchID does).
func (x *Index) RecallIDs(ids []string, opt SearchOptions) (float64, error) {
	return x.recall(len(ids), opt, func(i int, o SearchOptions) ([]Result, []Result, error) {
		o.Method = Graph
		got, err := x.SearchID(ids[i], o)
		if err != nil {
			return nil, nil, err
		}
		o.Method = Exact
		want, err := x.SearchID(ids[i], o)
		return got, want, err
	})
}

func (x *Index) recall(n int, opt SearchOptions, run func(int, SearchOptions) (got, want []Result, err error)) (float64, error) {
	if opt.K <= 0 {
		return 0, fmt.Errorf("recall: %w: k = %d", ErrInvalidK, opt.K)
	}
	var (
		mu          sync.Mutex
		hits, total int
		firstErr    error
	)
	parallelFor(n, func(i int) {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed { // an earlier query failed: skip the rest
			return
		}
		got, want, err := run(i, opt)
		h := 0
		for _, w := range want {
			if slices.ContainsFunc(got, func(g Result) bool { return g.ID == w.ID }) {
				h++
			}
		}
		mu.Lock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		hits += h
		total += len(want)
		mu.Unlock()
	})
	if firstErr != nil {
		return 0, fmt.Errorf("recall: %w", firstErr)
	}
	if total == 0 {
		return 1, nil
	}
	return float64(hits) / float64(total), nil
}
