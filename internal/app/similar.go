package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/internal/vec"
	"github.com/vecimg/vecimg/store"
)

// SimilarOptions is one nearest-neighbour query. Exactly one of Query and
// Vector is set.
type SimilarOptions struct {
	// Query is, in this order: a stored id, a stored image's file name
	// (id + extension), a stored image's path, or any image file, embedded
	// with the store's own model.
	Query string
	// Vector is a query vector of the store's dimension.
	Vector []float32
	K      int  // neighbours wanted (> 0)
	Ef     int  // search breadth; 0 = the index default
	Exact  bool // brute-force search (the reference)
	// Model is used only to embed a Query that is an image file.
	Model ModelOptions
	// NoPaths leaves Neighbor.Path empty, for callers that look the
	// records up themselves (the server, through its record cache).
	NoPaths  bool
	Progress Progress
}

// Neighbor is types.Neighbor.
type Neighbor = types.Neighbor

// SimilarResult is types.SimilarResult.
type SimilarResult = types.SimilarResult

// Similar answers one query. Everything about the query (k, the id or file,
// the model for a new file) is checked before the index is built or updated.
func (a *App) Similar(ctx context.Context, o SimilarOptions) (SimilarResult, error) {
	p := a.progress(o.Progress)
	res := SimilarResult{Query: o.Query}
	if o.K <= 0 {
		return res, optInvalidf("{k} must be positive (got %d)", o.K)
	}
	if o.Ef < 0 {
		return res, optInvalidf("{ef} must not be negative (got %d)", o.Ef)
	}
	if (o.Query == "") == (o.Vector == nil) {
		return res, invalidf("similar needs one query: an id, a file name, an image path or a vector")
	}
	st, man, _, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	sp := searchParams{K: o.K, Ef: o.Ef, Exact: o.Exact}
	var hits []Neighbor
	switch {
	case o.Vector != nil:
		if err := vec.Check(o.Vector, man.Dim); err != nil {
			return res, invalidf("query vector: %v", err)
		}
		res.QueryKind = "vector"
		hits, err = a.searchVector(ctx, st, o.Vector, sp, p)
	default:
		id, tried, rerr := resolveQuery(st, o.Query)
		if rerr != nil {
			return res, rerr
		}
		if id != "" {
			res.QueryID, res.QueryKind = id, "id"
			hits, err = a.searchID(ctx, st, id, sp, p)
			break
		}
		res.QueryKind, res.QueryFile = "file", o.Query
		if fi, serr := os.Stat(o.Query); serr != nil || fi.IsDir() {
			return res, &msgError{kind: ErrNotFound, msg: fmt.Sprintf("no stored image matches %q (tried %s) and it is not an image file; list stored ids with `vecimg export` or pass an image path", o.Query, strings.Join(tried, ", "))}
		}
		v, eerr := a.embedQuery(ctx, man, o.Query, o.Model, p)
		if eerr != nil {
			return res, eerr
		}
		hits, err = a.searchVector(ctx, st, v, sp, p)
	}
	if err != nil {
		return res, err
	}
	if o.NoPaths {
		res.Results = hits
		return res, nil
	}
	res.Results, err = withPaths(st, hits)
	return res, err
}

// withPaths fills in the stored path of every hit (reading the records'
// heads only). A hit removed since the search keeps an empty path.
func withPaths(st *store.Store, hits []Neighbor) ([]Neighbor, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	paths, err := st.Paths(ids)
	if err != nil {
		return hits, err
	}
	for i := range hits {
		hits[i].Path = paths[i]
	}
	return hits, nil
}

// resolveQuery finds the stored record a query names: id, id without the
// file extension, absolute path. id is "" when none matches; tried lists
// what was looked up, for the error message.
func resolveQuery(st *store.Store, q string) (id string, tried []string, err error) {
	// A file named with a folder or an extension is taken as that file,
	// unless it is the stored one: ./100.jpg beside a stored id 100 that
	// came from another file is a new image, not the stored 100.
	if strings.ContainsAny(q, `/\`) || filepath.Ext(q) != "" {
		if fi, serr := os.Stat(q); serr == nil && fi.Mode().IsRegular() {
			abs, aerr := filepath.Abs(q)
			if aerr != nil {
				return "", tried, aerr
			}
			tried = append(tried, fmt.Sprintf("path %q", abs))
			id, ok, err := st.ByPath(abs)
			if ok || err != nil {
				return id, tried, err
			}
			return "", tried, nil // the file, embedded
		}
	}
	try := func(what, id string) (bool, error) {
		tried = append(tried, fmt.Sprintf("%s %q", what, id))
		if vec.CheckID(id) != nil {
			return false, nil
		}
		return st.Has(id)
	}
	if ok, err := try("id", q); ok || err != nil {
		return q, tried, err
	}
	slash := filepath.ToSlash(q)
	if noExt := strings.TrimSuffix(slash, filepath.Ext(slash)); noExt != slash {
		if ok, err := try("id", noExt); ok || err != nil {
			return noExt, tried, err
		}
	}
	if abs, err := filepath.Abs(q); err == nil {
		tried = append(tried, fmt.Sprintf("path %q", abs))
		id, ok, err := st.ByPath(abs)
		if ok || err != nil {
			return id, tried, err
		}
	}
	return "", tried, nil
}

// RecallOptions asks for recall@K of the index against exact search.
type RecallOptions struct {
	Queries  int // stored vectors used as queries; 0 or more than stored = all
	K        int
	Ef       int // 0 = the index default
	Progress Progress
}

// RecallResult is types.RecallResult.
type RecallResult = types.RecallResult

// Recall measures the index's recall@K on stored vectors (similar --check).
func (a *App) Recall(ctx context.Context, o RecallOptions) (RecallResult, error) {
	if o.K <= 0 {
		return RecallResult{}, optInvalidf("{k} must be positive (got %d)", o.K)
	}
	if o.Queries < 0 || o.Ef < 0 {
		return RecallResult{}, optInvalidf("{queries} and {ef} must not be negative")
	}
	st, _, _, err := a.nonEmptyStore()
	if err != nil {
		return RecallResult{}, err
	}
	return a.indexRecall(ctx, st, o.Queries, o.K, o.Ef, a.progress(o.Progress))
}
