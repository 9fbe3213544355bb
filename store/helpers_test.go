package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

const testDim = 16

func testManifest(dim int) Manifest {
	return Manifest{Model: "test-model-fingerprint", ModelDesc: "test", Preset: "blitz", Dim: dim, InputSize: 448}
}

// openTestStore opens a fresh store with a manifest of testDim in a temporary
// directory. On cleanup it checks the store's consistency and closes it.
func openTestStore(t testing.TB) *Store {
	t.Helper()
	return openTestStoreAt(t, filepath.Join(t.TempDir(), "db"), testDim)
}

func openTestStoreAt(t testing.TB, path string, dim int) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed { // the test closed it: check what it left on disk
			var err error
			if s, err = Open(path, Options{ReadOnly: true}); err != nil {
				t.Errorf("reopen for the cleanup check: %v", err)
				return
			}
		}
		if err := s.Check(); err != nil {
			t.Errorf("Check on cleanup: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := s.EnsureManifest(testManifest(dim)); err != nil {
		t.Fatalf("EnsureManifest: %v", err)
	}
	return s
}

func shaOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// testRecord makes a valid record whose content is a function of id and
// version.
func testRecord(id string, version, dim int) Record {
	rng := rand.New(rand.NewPCG(uint64(len(id)), uint64(version)))
	for _, c := range []byte(id) {
		rng = rand.New(rand.NewPCG(rng.Uint64()^uint64(c), uint64(version)))
	}
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return Record{
		ID:     id,
		Path:   fmt.Sprintf("/data/v%d/%s.jpg", version, id),
		SHA256: shaOf(fmt.Sprintf("%s@%d", id, version)),
		Width:  100 + version,
		Height: 200 + len(id),
		Vector: v,
		Meta:   Meta{Label: 7, Distance: 1.5},
		Added:  testTime,
	}
}

func testRecords(n, version, dim int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = testRecord(fmt.Sprintf("%05d", i), version, dim)
	}
	return recs
}

func mustPut(t testing.TB, s *Store, recs []Record) {
	t.Helper()
	if err := s.Put(recs); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

// setTestLabels writes labels as a clustering does: SetLabels, then a
// PutClusterRun (k = the largest label + 1) that makes them current.
func setTestLabels(s *Store, ups []LabelUpdate) error {
	if err := s.SetLabels(ups); err != nil {
		return err
	}
	k := int32(1)
	for _, u := range ups {
		k = max(k, u.Label+1)
	}
	man, _, _ := s.Manifest()
	run := ClusterRun{K: int(k)}
	for range k {
		run.Centers = append(run.Centers, make([]float32, man.Dim))
		run.Sizes = append(run.Sizes, 0)
	}
	return s.PutClusterRun(run)
}
