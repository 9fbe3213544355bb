package index

import (
	"cmp"
	"fmt"
	"slices"
)

// Result is one neighbour: its id and its cosine distance (1 − cos, in
// [0, 2]) to the query.
type Result struct {
	ID       string
	Distance float32
}

// Method chooses how a search finds neighbours.
type Method int

const (
	// Auto walks the graph, or scans exactly while the index holds fewer
	// than Config.ExactBelow vectors.
	Auto Method = iota
	// Graph always walks the HNSW graph (approximate).
	Graph
	// Exact always compares the query with every vector (the reference).
	Exact
)

// String returns the method's name.
func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Graph:
		return "graph"
	case Exact:
		return "exact"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// SearchOptions tunes one search.
type SearchOptions struct {
	// K is the number of neighbours wanted; it must be positive.
	K int
	// Ef overrides Config.EfSearch for this search when positive. It is
	// raised to K (plus the number of excluded ids) when smaller.
	Ef int
	// Exclude lists ids to leave out of the results (for example the
	// query's own id). Unknown ids are ignored.
	Exclude []string
	// Method chooses graph or exact search; the zero value is Auto.
	Method Method
}

// Search returns the k nearest neighbours of q, nearest first (ties by id).
// It walks the graph, or scans exactly while the index is small (see
// Config.ExactBelow). q must have Dim components, be finite and not all zero;
// it need not be normalised. An empty index gives an empty result.
func (x *Index) Search(q []float32, k int) ([]Result, error) {
	return x.SearchWith(q, SearchOptions{K: k})
}

// SearchExact returns the exact k nearest neighbours of q by comparing it
// with every vector.
func (x *Index) SearchExact(q []float32, k int) ([]Result, error) {
	return x.SearchWith(q, SearchOptions{K: k, Method: Exact})
}

// SearchID searches with the stored vector of id and leaves id itself out of
// the results (on top of opt.Exclude). It fails with ErrNotFound if id is
// not in the index.
func (x *Index) SearchID(id string, opt SearchOptions) ([]Result, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("search by id %q: %w", id, err)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.slots[id]
	if !ok {
		return nil, fmt.Errorf("search by id %q: %w", id, ErrNotFound)
	}
	opt.Exclude = append(slices.Clip(opt.Exclude), id)
	c := x.getCtx()
	defer x.putCtx(c)
	c.q = append(c.q[:0], x.vec(s)...)
	return x.searchLocked(c, c.q, opt), nil
}

// SearchWith is Search with options.
func (x *Index) SearchWith(q []float32, opt SearchOptions) ([]Result, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	c := x.getCtx()
	defer x.putCtx(c)
	x.mu.RLock()
	defer x.mu.RUnlock()
	c.q = slices.Grow(c.q[:0], x.dim)[:x.dim]
	if err := normalise(c.q, q, x.dim); err != nil {
		return nil, fmt.Errorf("search: query: %w", err)
	}
	return x.searchLocked(c, c.q, opt), nil
}

func (o SearchOptions) check() error {
	if o.K <= 0 {
		return fmt.Errorf("%w: k = %d", ErrInvalidK, o.K)
	}
	if o.Method < Auto || o.Method > Exact {
		return fmt.Errorf("%w: unknown search method %d", ErrConfig, int(o.Method))
	}
	return nil
}

// searchLocked runs a search for the unit vector q; the caller holds the
// read lock and has checked opt.K.
func (x *Index) searchLocked(c *searchCtx, q []float32, opt SearchOptions) []Result {
	live := len(x.slots)
	if live == 0 {
		return []Result{}
	}
	var excl []uint32
	for _, id := range opt.Exclude {
		if s, ok := x.slots[id]; ok && !slices.Contains(excl, s) {
			excl = append(excl, s)
		}
	}
	method := opt.Method
	if method == Auto {
		method = Graph
		if live < x.cfg.ExactBelow {
			method = Exact
		}
	}
	if method == Exact {
		return x.exact(q, opt.K, excl)
	}
	return x.graphSearch(c, q, opt.K, opt.Ef, excl)
}

// graphSearch descends the layers greedily and runs an ef-bounded search on
// the bottom layer.
func (x *Index) graphSearch(c *searchCtx, q []float32, k, ef int, excl []uint32) []Result {
	if ef <= 0 {
		ef = x.cfg.EfSearch
	}
	ef = max(ef, k+len(excl))
	c.w = append(c.w[:0], x.descend(q, 0))
	x.searchLayer(c, q, c.w, ef, 0)
	c.w = c.res.drainSorted(c.w[:0])
	out := make([]Result, 0, min(k, len(c.w)))
	for _, e := range c.w {
		if len(out) == k {
			break
		}
		if slices.Contains(excl, e.s) {
			continue
		}
		out = append(out, Result{x.ids[e.s], e.d})
	}
	sortResults(out)
	return out
}

// sortResults orders by ascending distance, ties by id.
func sortResults(r []Result) {
	slices.SortFunc(r, func(a, b Result) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
