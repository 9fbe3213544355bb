package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Result is one neighbour: its id and its cosine distance (1 − cos, in
// [0, 2]) to the query. With a fetcher set the distance is exact (computed
// from the float32 vectors); without one it is the codes' estimate.
type Result struct {
	ID       string
	Distance float32
}

// Method chooses how a search finds neighbours.
type Method int

const (
	// Auto walks the graph, or searches exactly (see Exact) while the
	// index holds fewer than Config.ExactBelow vectors.
	Auto Method = iota
	// Graph always walks the HNSW graph; its ef candidates are re-ranked
	// with exact vectors read in lower-bound order until the bound proves
	// the rest cannot enter the top k (see the package documentation).
	Graph
	// Exact returns exactly what a float32 scan of every vector returns.
	// With a trained index and a fetcher it scans every code (all cores),
	// keeps a lower bound of each exact distance and reads only the vectors
	// that can still be in the top k; otherwise it streams the source set
	// by SetSource (see ExactSearch).
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
	// Ef overrides the index's search breadth for this search when
	// positive (see Index.SearchEf). It is raised to K plus the number of
	// excluded ids when smaller.
	Ef int
	// Rerank overrides Config.Rerank, the most exact vectors a graph
	// search reads, when positive. It is raised to K plus the number of
	// excluded ids.
	Rerank int
	// Exclude lists ids to leave out of the results (for example the
	// query's own id). Unknown ids are ignored.
	Exclude []string
	// Method chooses graph or exact search; the zero value is Auto.
	Method Method
	// Stats, when not nil, receives what the search read.
	Stats *SearchStats
	// heldOut (SearchID, graph search): the walk does not visit the query's
	// own node (when it is the entry point, the walk only leaves it), as if
	// the vector were a new one the graph never linked (tuning measures
	// recall so). hide is that node's slot+1.
	heldOut bool
	hide    uint32
}

// SearchStats says what one search read.
type SearchStats struct {
	// Candidates is the number of candidates whose exact distance could
	// matter: the graph's ef nearest codes, or, for an exact search, the
	// codes whose lower bound was not above the k-th upper bound.
	Candidates int
	// Read is the number of exact vectors read (the query's own vector
	// not counted).
	Read int
	// Capped is set when a graph search stopped at the Rerank cap while
	// the bound still asked for more vectors: its answer may then miss a
	// neighbour that its candidates held.
	Capped bool
}

// Search returns the k nearest neighbours of q, nearest first (ties by id).
// q must have Dim components, be finite and not all zero; it need not be
// normalised. An empty index gives an empty result.
func (x *Index) Search(q []float32, k int) ([]Result, error) {
	return x.SearchWith(q, SearchOptions{K: k})
}

// SearchWith is Search with options.
func (x *Index) SearchWith(q []float32, opt SearchOptions) ([]Result, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	c := x.getCtx()
	defer x.putCtx(c)
	dim := x.Dim()
	c.unit = grow(c.unit, dim)
	if err := normalise(c.unit, q, dim); err != nil {
		return nil, fmt.Errorf("search: query: %w", err)
	}
	x.mu.RLock()
	if opt.Method == Exact && (x.cb == nil || x.fetch == nil) {
		x.mu.RUnlock()
		return x.exactFromSource(c.unit, opt)
	}
	defer x.mu.RUnlock()
	if x.cb == nil || x.live == 0 {
		return []Result{}, nil
	}
	x.prepareQuery(c, c.unit)
	return x.searchLocked(c, opt, true)
}

// SearchID searches with the vector of id and leaves id itself out of the
// results (on top of opt.Exclude). The query is id's exact vector from the
// fetcher, or its code when there is none. It fails with ErrNotFound if id
// is not in the index.
func (x *Index) SearchID(id string, opt SearchOptions) ([]Result, error) {
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("search by id %q: %w", id, err)
	}
	opt.Exclude = append(slices.Clip(opt.Exclude), id)
	c := x.getCtx()
	defer x.putCtx(c)
	x.mu.RLock()
	s, ok := x.lookup(id)
	fetch := x.fetch
	x.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("search by id %q: %w", id, ErrNotFound)
	}
	exact := false
	if fetch != nil {
		c.ids = append(c.ids[:0], id)
		if len(c.vecs) == 0 {
			c.vecs = append(c.vecs, nil)
		}
		c.vecs = c.vecs[:1]
		if err := fetch.Vectors(c.ids, c.vecs); err != nil {
			return nil, fmt.Errorf("search by id %q: reading its vector: %w", id, err)
		}
		if v := c.vecs[0]; len(v) > 0 {
			c.unit = grow(c.unit, len(v))
			if err := normalise(c.unit, v, len(v)); err != nil {
				return nil, fmt.Errorf("search by id %q: %w", id, err)
			}
			exact = true
		}
	}
	if opt.Method == Exact && !exact {
		return nil, fmt.Errorf("search by id %q: %w: exact search needs the vector source", id, ErrNoSource)
	}
	x.mu.RLock()
	if opt.Method == Exact && x.cb == nil {
		x.mu.RUnlock()
		return x.exactFromSource(c.unit, opt)
	}
	defer x.mu.RUnlock()
	if s, ok = x.lookup(id); !ok { // deleted meanwhile
		return nil, fmt.Errorf("search by id %q: %w", id, ErrNotFound)
	}
	if opt.heldOut {
		opt.hide = s + 1
	}
	if exact && len(c.unit) == x.dim {
		x.prepareQuery(c, c.unit)
	} else {
		x.nodeQuery(&c.q, s)
		exact = false
	}
	return x.searchLocked(c, opt, exact)
}

func (x *Index) exactFromSource(unit []float32, opt SearchOptions) ([]Result, error) {
	x.mu.RLock()
	src := x.scan
	x.mu.RUnlock()
	if src == nil {
		return nil, fmt.Errorf("exact search: %w", ErrNoSource)
	}
	rs, err := ExactSearch(context.Background(), src, [][]float32{unit}, opt.K, [][]string{opt.Exclude})
	if err != nil {
		return nil, err
	}
	if opt.Stats != nil {
		*opt.Stats = SearchStats{Candidates: -1, Read: -1}
	}
	return rs[0], nil
}

// SearchEf returns the search breadth a search uses when its options give
// none: Config.EfSearch when set, else the breadth the index tuned for
// itself (see Tuning), else the automatic choice for the index's size.
func (x *Index) SearchEf() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.efLocked()
}

func (x *Index) efLocked() int {
	if x.cfg.EfSearch <= 0 && x.tune.Ef > 0 {
		return x.tune.Ef
	}
	return x.cfg.efFor(x.live)
}

// prepareQuery projects the unit vector u into c.q. The caller holds a lock
// and the codebook is trained.
func (x *Index) prepareQuery(c *searchCtx, u []float32) {
	c.y = grow(c.y, x.dim)
	c.z = grow(c.z, x.cb.cdim)
	x.cb.prepare(&c.q, u, c.y, c.z)
	x.cb.queryNorms(&c.q, c.y, c.z)
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

// searchLocked finds candidates for c.q (graph walk, or an exact search
// from the codes) and re-ranks them with exact vectors when rerank is set
// and a fetcher is available (c.unit is then the unit query, and c.q was
// prepared from it). The caller holds the read lock.
func (x *Index) searchLocked(c *searchCtx, opt SearchOptions, rerank bool) ([]Result, error) {
	var excl []uint32
	for _, id := range opt.Exclude {
		if s, ok := x.lookup(id); ok && !slices.Contains(excl, s) {
			excl = append(excl, s)
		}
	}
	limit := opt.Rerank
	if limit <= 0 {
		limit = x.cfg.Rerank
	}
	limit = max(limit, opt.K) + len(excl)
	method := opt.Method
	if method == Auto {
		method = Graph
		if x.live < x.cfg.ExactBelow {
			method = Exact
		}
	}
	rerank = rerank && x.fetch != nil
	if method == Exact && rerank {
		return x.exactFromCodes(c, excl, opt.K, opt.Stats)
	}
	if method == Exact {
		x.scanCodes(c, opt.K+len(excl))
	} else {
		ef := opt.Ef
		if ef <= 0 {
			ef = x.efLocked()
		}
		ef = max(ef, opt.K+len(excl))
		if opt.Rerank <= 0 {
			// The configured cap never stops a search short of its own
			// breadth: a tuned ef above it would be candidates never read.
			limit = max(limit, ef+len(excl))
		}
		c.q.hide = opt.hide
		c.w = append(c.w[:0], x.descend(&c.q, 0))
		x.searchLayer(c, &c.q, c.w, ef, 0)
		c.q.hide = 0
		c.w = c.res.drainSorted(c.w[:0])
	}
	c.w = slices.DeleteFunc(c.w, func(e cand) bool { return slices.Contains(excl, e.s) || len(x.idBytes(e.s)) == 0 })
	if !rerank {
		out := make([]Result, 0, min(opt.K, len(c.w)))
		for _, e := range c.w[:min(opt.K, len(c.w))] {
			out = append(out, Result{x.idOf(e.s), max(0, e.d)})
		}
		sortResults(out)
		if opt.Stats != nil {
			*opt.Stats = SearchStats{Candidates: len(c.w)}
		}
		return out, nil
	}
	c.b = c.b[:0]
	for _, e := range c.w {
		c.b = append(c.b, bcand{s: e.s})
	}
	x.refineAll(&c.q, c.b, func(i int) float32 { return c.w[i].d })
	slices.SortFunc(c.b, cmpBcand)
	return x.rerankBounded(c, c.b, opt.K, limit-len(excl), opt.Stats)
}

// scanCodes puts the r nearest codes to c.q into c.w, sorted.
func (x *Index) scanCodes(c *searchCtx, r int) {
	c.res.reset()
	for s := range x.levels {
		s := uint32(s)
		if len(x.idBytes(s)) == 0 {
			continue
		}
		d := x.dist(&c.q, s)
		if c.res.len() < r || d < c.res.top().d {
			c.res.push(cand{d, s})
			if c.res.len() > r {
				c.res.pop()
			}
		}
	}
	c.w = c.res.drainSorted(c.w[:0])
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
