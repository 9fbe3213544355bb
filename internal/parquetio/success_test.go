package parquetio

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadSuccess: the shard given as MetaShard lands in _SUCCESS, which
// ReadSuccess returns; no file or an empty marker is "no export"; anything
// else that is not a vecimg manifest is an error.
func TestReadSuccess(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := ReadSuccess(filepath.Join(dir, "none")); ok || err != nil {
		t.Fatalf("missing folder: ok=%v err=%v", ok, err)
	}
	writeAll(t, dir, testRows(5, 3), 3, WriterOptions{Metadata: map[string]string{MetaShard: "1/4"}})
	s, ok, err := ReadSuccess(dir)
	if err != nil || !ok || s.Shard != "1/4" || s.Rows != 5 {
		t.Fatalf("%+v ok=%v err=%v", s, ok, err)
	}
	d, err := Open(dir, ReadOptions{})
	if err != nil || d.Metadata[MetaShard] != "1/4" {
		t.Fatalf("metadata %v, %v", d.Metadata, err)
	}
	p := filepath.Join(dir, SuccessFile)
	os.WriteFile(p, nil, 0o644)
	if _, ok, err := ReadSuccess(dir); ok || err != nil {
		t.Fatalf("empty marker: ok=%v err=%v", ok, err)
	}
	os.WriteFile(p, []byte(`{"format":"spark"}`), 0o644)
	if _, _, err := ReadSuccess(dir); !errors.Is(err, ErrBadInput) {
		t.Fatalf("foreign manifest: %v", err)
	}
}
