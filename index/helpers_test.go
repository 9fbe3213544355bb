package index

import "testing"

// addUnlinked stores vec under a new id without linking it into the graph:
// enough for exact search, and much faster than Add when only the exact
// reference is needed.
func (x *Index) addUnlinked(id string, vec []float32) error {
	v := make([]float32, x.dim)
	if err := normalise(v, vec, x.dim); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	s, err := x.alloc()
	if err != nil {
		return err
	}
	copy(x.vec(s), v)
	x.ids[s] = id
	x.slots[id] = s
	return nil
}

func mustNew(tb testing.TB, dim int, cfg Config) *Index {
	tb.Helper()
	x, err := New(dim, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return x
}
