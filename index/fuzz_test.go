package index

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadFrom feeds arbitrary bytes to ReadFrom. Each input is tried as is
// and with its checksums recomputed (reseal), so that mutations also reach
// the checks behind the checksums. Reading must never panic; it either fails
// with ErrCorrupt or ErrVersion, or yields an index that searches, updates
// and re-encodes without panicking.
//
//	go test -fuzz FuzzReadFrom -fuzztime 60s ./index/
func FuzzReadFrom(f *testing.F) {
	x, _ := smallIndex(f, 30, 4, 8)
	valid := encode(f, x)
	f.Add(valid)
	f.Add(valid[:headerLen])
	f.Add(encode(f, mustNew(f, 3, Config{})))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, b := range [][]byte{data, reseal(data)} {
			var y Index
			if _, err := y.ReadFrom(bytes.NewReader(b)); err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
					t.Fatalf("untyped error: %v", err)
				}
				continue
			}
			q := make([]float32, y.Dim())
			q[0] = 1
			for _, m := range []Method{Graph, Exact} {
				rs, err := y.SearchWith(q, SearchOptions{K: 5, Method: m})
				if err != nil || len(rs) > min(5, y.Len()) {
					t.Fatalf("%v search on a loaded index: %v, %d results", m, err, len(rs))
				}
			}
			if ids := y.IDs(); len(ids) > 0 {
				y.Delete(ids[0])
			}
			if err := y.Add("fuzz", q); err != nil {
				t.Fatal(err)
			}
			if _, err := y.WriteTo(&bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
