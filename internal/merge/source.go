package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/store"
)

// Source is one input of a merge: records in strictly increasing id order
// (byte order), with the manifest that made their vectors.
type Source interface {
	Name() string
	Manifest() store.Manifest
	// Scan calls fn for every record in id order. fn must not keep r or
	// its Vector after it returns.
	Scan(ctx context.Context, fn func(r *store.Record) error) error
	Close() error
}

// Open opens path as a merge input: a vecimg store (read-only), or a
// Parquet export written by vecimg (a folder with _SUCCESS, or one .parquet
// file), which carries its store manifest.
func Open(path string) (Source, error) {
	if parquetio.IsParquet(path) {
		return openParquet(path)
	}
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("merge input %s: %w", path, err)
	}
	m, ok, err := st.Manifest()
	if err != nil {
		st.Close()
		return nil, err
	}
	if !ok {
		st.Close()
		return nil, fmt.Errorf("merge input %s is a store without a manifest (nothing was ingested into it)", path)
	}
	return &storeSource{st: st, m: m}, nil
}

type storeSource struct {
	st *store.Store
	m  store.Manifest
}

func (s *storeSource) Name() string             { return s.st.Path() }
func (s *storeSource) Manifest() store.Manifest { return s.m }
func (s *storeSource) Close() error             { return s.st.Close() }
func (s *storeSource) Scan(ctx context.Context, fn func(r *store.Record) error) error {
	return s.st.Scan(ctx, fn)
}

type parquetSource struct {
	path string
	d    *parquetio.Dataset
	m    store.Manifest
}

func openParquet(path string) (Source, error) {
	d, err := parquetio.Open(path, parquetio.ReadOptions{})
	if errors.Is(err, parquetio.ErrBadInput) {
		return nil, fmt.Errorf("merge input: %w", err) // it names the file
	}
	if err != nil {
		return nil, fmt.Errorf("merge input %s: %w", path, err)
	}
	if !d.Vecimg || len(d.Manifest) == 0 {
		return nil, fmt.Errorf("merge input %s is Parquet without a vecimg store manifest: import it into a store first (vecimg import), then merge that store", path)
	}
	var m store.Manifest
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		return nil, fmt.Errorf("merge input %s: its %s metadata does not decode: %v", path, parquetio.MetaManifest, err)
	}
	if m.Dim != d.Dim {
		return nil, fmt.Errorf("merge input %s: manifest dimension %d, vectors of %d", path, m.Dim, d.Dim)
	}
	if vt := d.Metadata[parquetio.MetaVectorType]; vt == string(parquetio.Float16) {
		// Rounded vectors are not what the model gives: merged, they would
		// pass for exact ones and conflict with the float32 originals.
		return nil, fmt.Errorf("%w: merge input %s holds float16 vectors, rounded from the model's float32 ones; merge the float32 export or the store it came from",
			store.ErrManifestMismatch, path)
	}
	return &parquetSource{path: path, d: d, m: m}, nil
}

func (p *parquetSource) Name() string             { return p.path }
func (p *parquetSource) Manifest() store.Manifest { return p.m }
func (p *parquetSource) Close() error             { return nil }
func (p *parquetSource) Scan(ctx context.Context, fn func(r *store.Record) error) error {
	var rec store.Record
	return p.d.Scan(ctx, func(r *parquetio.Row) error {
		rec = store.Record{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: int(r.Width), Height: int(r.Height),
			Vector: r.Vector, Meta: store.Meta{Label: store.NoLabel}}
		return fn(&rec)
	})
}
