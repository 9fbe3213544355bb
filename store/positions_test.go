package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// Vectors read by position are the vectors badger reads, record for
// record, whatever the positions file says: a damaged entry, a file for
// another state of the store or for another store falls back or is
// refused, never read.
func TestPositions(t *testing.T) {
	const dim = 128 // values well over badger's value threshold: they live in the value log
	dir := t.TempDir()
	db, pos := filepath.Join(dir, "db"), filepath.Join(dir, "db.pos")
	s := openTestStoreAt(t, db, dim)
	mustPut(t, s, testRecords(300, 1, dim))
	mustPut(t, s, testRecords(50, 2, dim)) // rewritten: their first versions stay in the log
	var gone []string
	for i := 290; i < 300; i++ {
		gone = append(gone, fmt.Sprintf("%05d", i))
	}
	if err := s.Delete(gone...); err != nil {
		t.Fatal(err)
	}
	if err := s.UsePositions(pos); !errors.Is(err, ErrInvalid) {
		t.Errorf("UsePositions on a writable store = %v, want ErrInvalid", err)
	}
	info, err := s.WritePositions(context.Background(), pos, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Records != 290 || info.Placed != 290 {
		t.Fatalf("positions %+v, want 290 records, all placed", info)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	want, wantPath := map[string][]float32{}, map[string]string{}
	for i := range 290 {
		version := 1
		if i < 50 {
			version = 2
		}
		id := fmt.Sprintf("%05d", i)
		r := testRecord(id, version, dim)
		want[id], wantPath[id] = r.Vector, r.Path
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range want {
			if !yield(id) {
				return
			}
		}
	})
	ids = append(ids, gone[0], "no-such-id")
	read := func(what, posPath string, wantHits int64) {
		t.Helper()
		ro, err := Open(db, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if posPath != "" {
			if err := ro.UsePositions(posPath); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		dst := make([][]float32, len(ids))
		looked, err := ro.VectorsMapped(ids, dst)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if want := len(ids) - int(wantHits); looked != want {
			t.Errorf("%s: %d ids looked up through badger, want %d", what, looked, want)
		}
		for i, id := range ids {
			if !slices.Equal(dst[i], want[id]) {
				t.Fatalf("%s: record %s read as %d values, not its stored vector", what, id, len(dst[i]))
			}
		}
		if got := ro.PositionHits(); got != wantHits {
			t.Errorf("%s: %d vectors read by position, want %d", what, got, wantHits)
		}
		paths, err := ro.Paths(ids)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for i, id := range ids {
			if want := wantPath[id]; paths[i] != want {
				t.Fatalf("%s: record %s has path %q, want %q", what, id, paths[i], want)
			}
		}
	}
	read("through badger", "", 0)
	read("by position", pos, 290)

	// Concurrent readers (exact search and tuning read from several
	// goroutines) share the positions' files and buffers.
	ro, err := Open(db, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.UsePositions(pos); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			dst := make([][]float32, 1)
			for i := g; i < len(ids); i += 4 {
				if err := ro.Vectors(ids[i:i+1], dst); err != nil {
					errs <- err
					return
				}
				if !slices.Equal(dst[0], want[ids[i]]) {
					errs <- fmt.Errorf("concurrent read of %s: wrong vector", ids[i])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ro.Close()

	// A damaged entry (the offset of the first record's value) falls back.
	b, err := os.ReadFile(pos)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.pos")
	c := slices.Clone(b)
	binary.LittleEndian.PutUint32(c[posHeaderLen+4:], binary.LittleEndian.Uint32(c[posHeaderLen+4:])+16)
	os.WriteFile(bad, c, 0o644)
	read("one damaged position", bad, 289)
	// An entry pointing at another record's value (the first two swapped).
	c = slices.Clone(b)
	e0, e1 := c[posHeaderLen:posHeaderLen+12], c[posHeaderLen+posEntryLen:posHeaderLen+posEntryLen+12]
	t0 := slices.Clone(e0)
	copy(e0, e1)
	copy(e1, t0)
	os.WriteFile(bad, c, 0o644)
	read("two swapped positions", bad, 288)

	// Damage anywhere past the header: never a panic, never a wrong value.
	ro, err = Open(db, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		c := slices.Clone(b)
		for range 1 + rng.IntN(8) {
			c[posHeaderLen+rng.IntN(len(c)-posHeaderLen)] ^= byte(1 + rng.IntN(255))
		}
		os.WriteFile(bad, c, 0o644)
		if err := ro.UsePositions(bad); err != nil {
			continue
		}
		dst := make([][]float32, len(ids))
		if err := ro.Vectors(ids, dst); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			if !slices.Equal(dst[i], want[id]) {
				t.Fatalf("damaged positions: record %s read wrong", id)
			}
		}
	}
	ro.Close()

	refused := func(what, posPath string) {
		t.Helper()
		ro, err := Open(db, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if err := ro.UsePositions(posPath); !errors.Is(err, ErrPositionsStale) {
			t.Errorf("%s: UsePositions = %v, want ErrPositionsStale", what, err)
		}
	}
	os.WriteFile(bad, b[:len(b)-4], 0o644)
	refused("a truncated file", bad)

	// Another store with the same records: refused.
	other := filepath.Join(dir, "other")
	s2 := openTestStoreAt(t, other, dim)
	mustPut(t, s2, testRecords(300, 1, dim))
	otherPos := filepath.Join(dir, "other.pos")
	if _, err := s2.WritePositions(context.Background(), otherPos, nil); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	refused("another store's positions", otherPos)

	// A write moves the generation: the file is stale.
	s, err = Open(db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, testRecords(1, 3, dim))
	s.Close()
	refused("positions from before a write", pos)
}
