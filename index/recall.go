package index

import (
	"context"
	"fmt"
	"slices"
)

// Recall measures how often the search finds the true neighbours:
// recall@k = |found ∩ exact| / |exact| summed over the queries, where
// "found" is SearchWith(q, opt) (Method Graph unless opt says otherwise)
// and "exact" the exact k nearest (Method Exact: from the codes when the
// index is trained and has a fetcher, else one streaming pass over the
// source for all queries), both with opt.K and opt.Exclude. With no queries
// recall is 1.
func (x *Index) Recall(queries [][]float32, opt SearchOptions) (float64, error) {
	if opt.K <= 0 {
		return 0, fmt.Errorf("recall: %w: k = %d", ErrInvalidK, opt.K)
	}
	if opt.Method == Auto {
		opt.Method = Graph
	}
	opt.Stats = nil
	found := make([][]Result, len(queries))
	for i, q := range queries {
		rs, err := x.SearchWith(q, opt)
		if err != nil {
			return 0, fmt.Errorf("recall: query %d: %w", i, err)
		}
		found[i] = rs
	}
	want := make([][]Result, len(queries))
	if x.codesExact() {
		for i, q := range queries {
			rs, err := x.SearchWith(q, SearchOptions{K: opt.K, Exclude: opt.Exclude, Method: Exact})
			if err != nil {
				return 0, fmt.Errorf("recall: exact search of query %d: %w", i, err)
			}
			want[i] = rs
		}
	} else {
		excl := make([][]string, len(queries))
		for i := range excl {
			excl[i] = opt.Exclude
		}
		var err error
		if want, err = x.streamExact(queries, excl, opt.K); err != nil {
			return 0, err
		}
	}
	return overlap(want, found), nil
}

// RecallReport is what RecallIDsReport measured.
type RecallReport struct {
	Recall  float64 // recall@k over all queries
	Queries int
	// Reads holds, per query, the exact vectors its search read.
	Reads []int
	// Capped counts the searches stopped by the Rerank cap.
	Capped int
	// TruthReads holds, per query, the vectors the exact search that gave
	// the true neighbours read; nil when it streamed the source.
	TruthReads []int
}

// RecallIDs is Recall with stored vectors as queries: each id's own vector
// (from the fetcher), with the id itself left out of both result lists (as
// SearchID does) and its node hidden from the graph walk, so that each
// query is searched as a new image would be (the measure tuning uses).
func (x *Index) RecallIDs(ids []string, opt SearchOptions) (float64, error) {
	r, err := x.RecallIDsReport(ids, opt)
	return r.Recall, err
}

// RecallIDsReport is RecallIDs that also says what the searches read.
func (x *Index) RecallIDsReport(ids []string, opt SearchOptions) (RecallReport, error) {
	rep := RecallReport{Queries: len(ids)}
	if opt.K <= 0 {
		return rep, fmt.Errorf("recall: %w: k = %d", ErrInvalidK, opt.K)
	}
	want, truthReads, err := x.truthIDs(ids, opt.K, opt.Exclude)
	if err != nil {
		return rep, err
	}
	rep.TruthReads = truthReads
	opt.heldOut = true
	found, reads, capped, err := x.searchIDs(ids, opt)
	if err != nil {
		return rep, err
	}
	rep.Reads, rep.Capped = reads, capped
	rep.Recall = overlap(want, found)
	return rep, nil
}

// codesExact reports whether Method Exact searches the codes.
func (x *Index) codesExact() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.cb != nil && x.fetch != nil
}

// truthIDs returns the exact k nearest of each stored id's vector, the id
// and exclude left out, and, when they came from the codes, how many
// vectors each search read.
func (x *Index) truthIDs(ids []string, k int, exclude []string) ([][]Result, []int, error) {
	x.mu.RLock()
	fetch := x.fetch
	x.mu.RUnlock()
	if fetch == nil {
		return nil, nil, fmt.Errorf("recall: %w", ErrNoSource)
	}
	want := make([][]Result, len(ids))
	if x.codesExact() {
		reads := make([]int, len(ids))
		for i, id := range ids {
			var st SearchStats
			rs, err := x.SearchID(id, SearchOptions{K: k, Exclude: exclude, Method: Exact, Stats: &st})
			if err != nil {
				return nil, nil, fmt.Errorf("recall: exact search: %w", err)
			}
			want[i], reads[i] = rs, st.Read
		}
		return want, reads, nil
	}
	qs := make([][]float32, len(ids))
	if err := fetch.Vectors(ids, qs); err != nil {
		return nil, nil, fmt.Errorf("recall: reading query vectors: %w", err)
	}
	excl := make([][]string, len(ids))
	for i, id := range ids {
		if len(qs[i]) == 0 {
			return nil, nil, fmt.Errorf("recall: %q: %w", id, ErrNotFound)
		}
		excl[i] = append(slices.Clip(exclude), id)
	}
	want, err := x.streamExact(qs, excl, k)
	return want, nil, err
}

// searchIDs runs SearchID(id, opt) for every id (Method Graph unless opt
// says otherwise), on all cores, and returns the results with the vectors
// each read and how many stopped at the cap.
func (x *Index) searchIDs(ids []string, opt SearchOptions) ([][]Result, []int, int, error) {
	if opt.Method == Auto {
		opt.Method = Graph
	}
	found := make([][]Result, len(ids))
	reads := make([]int, len(ids))
	capped := make([]bool, len(ids))
	errs := make([]error, len(ids))
	parallelFor(len(ids), func(i int) {
		o := opt
		var st SearchStats
		o.Stats = &st
		found[i], errs[i] = x.SearchID(ids[i], o)
		reads[i], capped[i] = st.Read, st.Capped
	})
	n := 0
	for i, err := range errs {
		if err != nil {
			return nil, nil, 0, fmt.Errorf("recall: %w", err)
		}
		if capped[i] {
			n++
		}
	}
	return found, reads, n, nil
}

func (x *Index) streamExact(qs [][]float32, excl [][]string, k int) ([][]Result, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	x.mu.RLock()
	src := x.scan
	x.mu.RUnlock()
	if src == nil {
		return nil, fmt.Errorf("recall: %w", ErrNoSource)
	}
	want, err := ExactSearch(context.Background(), src, qs, k, excl)
	if err != nil {
		return nil, fmt.Errorf("recall: %w", err)
	}
	return want, nil
}

// overlap is Σ|found ∩ want| / Σ|want| (1 when want is empty).
func overlap(want, found [][]Result) float64 {
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
		return 1
	}
	return float64(hits) / float64(total)
}
