package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestVectorsAndVersions(t *testing.T) {
	s := openTestStore(t)
	mustPut(t, s, testRecords(5, 1, testDim))
	dst := make([][]float32, 3)
	if err := s.Vectors([]string{"00003", "nope", "00000"}, dst); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst[0], testRecord("00003", 1, testDim).Vector) || len(dst[1]) != 0 ||
		!slices.Equal(dst[2], testRecord("00000", 1, testDim).Vector) {
		t.Errorf("Vectors: %v", dst)
	}
	versions := func() map[string]uint64 {
		m := map[string]uint64{}
		var order []string
		if err := s.ScanVersions(context.Background(), func(id string, v uint64) error {
			m[id] = v
			order = append(order, id)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(order) {
			t.Errorf("ScanVersions not in id order: %v", order)
		}
		return m
	}
	v1 := versions()
	if len(v1) != 5 {
		t.Fatalf("versions: %v", v1)
	}
	// Rewriting one record changes its version only; labels change none.
	mustPut(t, s, []Record{testRecord("00002", 2, testDim)})
	if err := setTestLabels(s, []LabelUpdate{{ID: "00001", Label: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("00004"); err != nil {
		t.Fatal(err)
	}
	v2 := versions()
	for id, v := range v1 {
		switch {
		case id == "00004":
			if _, ok := v2[id]; ok {
				t.Errorf("deleted %s still listed", id)
			}
		case id == "00002":
			if v2[id] == v {
				t.Errorf("rewritten %s kept version %d", id, v)
			}
		case v2[id] != v:
			t.Errorf("%s: version %d → %d without a rewrite", id, v, v2[id])
		}
	}
}

// BenchmarkVectors measures one re-rank fetch: 40 random 4096-d vectors of
// a 5,000-record store, in one read transaction.
func BenchmarkVectors(b *testing.B) {
	const n, dim, batch = 5000, 4096, 40
	s := openTestStoreAt(b, b.TempDir()+"/db", dim)
	for lo := 0; lo < n; lo += 500 {
		recs := make([]Record, 500)
		for i := range recs {
			recs[i] = testRecord(fmt.Sprintf("%05d", lo+i), 1, dim)
		}
		mustPut(b, s, recs)
	}
	ids := make([]string, batch)
	dst := make([][]float32, batch)
	b.ResetTimer()
	for i := range b.N {
		for j := range ids {
			ids[j] = fmt.Sprintf("%05d", (i*7919+j*104729)%n)
		}
		if err := s.Vectors(ids, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPathsAndHas(t *testing.T) {
	s := openTestStore(t)
	mustPut(t, s, testRecords(4, 1, testDim))
	paths, err := s.Paths([]string{"00002", "nope", "", "00000"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{testRecord("00002", 1, testDim).Path, "", "", testRecord("00000", 1, testDim).Path}
	if !slices.Equal(paths, want) || want[0] == "" {
		t.Errorf("Paths: %q, want %q", paths, want)
	}
	heads, err := s.Heads([]string{"00002", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	r2 := testRecord("00002", 1, testDim)
	if h := heads[0]; h.ID != "00002" || h.Path != r2.Path || h.SHA256 != r2.SHA256 || h.Width != r2.Width || heads[1].ID != "" {
		t.Errorf("Heads: %+v", heads)
	}
	for id, want := range map[string]bool{"00001": true, "00009": false} {
		if ok, err := s.Has(id); err != nil || ok != want {
			t.Errorf("Has(%q) = %v, %v; want %v", id, ok, err, want)
		}
	}
	if _, err := s.Has(""); err == nil {
		t.Error("Has(\"\"): no error for an invalid id")
	}
	if err := s.Delete("00001"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has("00001"); ok {
		t.Error("Has after Delete: true")
	}
}

func TestScanHeads(t *testing.T) {
	s := openTestStore(t)
	recs := testRecords(5, 1, testDim)
	mustPut(t, s, recs)
	var got []Head
	if err := s.ScanHeads(context.Background(), func(h Head) error {
		got = append(got, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("%d heads for %d records", len(got), len(recs))
	}
	for _, h := range got {
		r, err := s.Get(h.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h.Path != r.Path || h.SHA256 != r.SHA256 || h.Width != r.Width || h.Height != r.Height || !h.Added.Equal(r.Added) {
			t.Errorf("head %+v, record %+v", h, r)
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := s.ScanHeads(context.Background(), func(Head) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: %v after %d calls", err, n)
	}
}
