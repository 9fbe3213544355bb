package index

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// memSource is an in-memory Source: what the store is to the index.
type memSource struct {
	mu    sync.Mutex
	vecs  map[string][]float32
	vers  map[string]uint64
	clock uint64
	fetch int // vectors fetched so far
}

func newMemSource() *memSource {
	return &memSource{vecs: map[string][]float32{}, vers: map[string]uint64{}}
}

func (m *memSource) put(id string, v []float32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock++
	m.vecs[id] = slices.Clone(v)
	m.vers[id] = m.clock
}

func (m *memSource) del(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.vecs, id)
	delete(m.vers, id)
}

func (m *memSource) sorted() []string {
	ids := make([]string, 0, len(m.vecs))
	for id := range m.vecs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (m *memSource) ScanVectors(ctx context.Context, fn func(id string, v []float32) error) error {
	m.mu.Lock()
	ids := m.sorted()
	m.mu.Unlock()
	buf := []float32{}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return err
		}
		m.mu.Lock()
		v, ok := m.vecs[id]
		m.mu.Unlock()
		if !ok {
			continue
		}
		buf = append(buf[:0], v...)
		if err := fn(id, buf); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) ScanVersions(ctx context.Context, fn func(id string, v uint64) error) error {
	m.mu.Lock()
	ids := m.sorted()
	vers := make([]uint64, len(ids))
	for i, id := range ids {
		vers[i] = m.vers[id]
	}
	m.mu.Unlock()
	for i, id := range ids {
		if err := fn(id, vers[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) Vectors(ids []string, dst [][]float32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, id := range ids {
		dst[i] = append(dst[i][:0], m.vecs[id]...)
		m.fetch++
	}
	return nil
}

// sourceOf puts base[i] under idOf(i).
func sourceOf(base [][]float32) *memSource {
	m := newMemSource()
	for i, v := range base {
		m.put(idOf(i), v)
	}
	return m
}

func mustNew(tb testing.TB, dim int, cfg Config) *Index {
	tb.Helper()
	x, err := New(dim, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}

// exactIDs returns the exact top-k ids of every query against src.
func exactIDs(tb testing.TB, src VectorSource, qs [][]float32, k int) [][]string {
	tb.Helper()
	rs, err := ExactSearch(context.Background(), src, qs, k, nil)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([][]string, len(rs))
	for i, r := range rs {
		for _, e := range r {
			out[i] = append(out[i], e.ID)
		}
	}
	return out
}
