package npz

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type rows struct {
	IDs     []string    `json:"ids"`
	Vectors [][]float32 `json:"vectors"`
}

func readAll(t *testing.T, path string) (rows, error) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		return rows{}, err
	}
	defer r.Close()
	var out rows
	for {
		id, v, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(v) != r.Dim() {
			t.Fatalf("row of %d values, Dim %d", len(v), r.Dim())
		}
		out.IDs = append(out.IDs, id)
		out.Vectors = append(out.Vectors, append([]float32(nil), v...))
	}
}

func TestReadNumpyFiles(t *testing.T) {
	var want rows
	b, err := os.ReadFile("testdata/good.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file string
		n    int
	}{
		{"good.npz", 6},                  // np.savez, '<U' ids
		{"good_compressed_bytes.npz", 4}, // np.savez_compressed (deflate), '|S' ids
		{"good_bigendian.npz", 6},        // '>f4' vectors, an extra labels array
	} {
		got, err := readAll(t, filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if len(got.IDs) != tc.n {
			t.Fatalf("%s: %d rows, want %d", tc.file, len(got.IDs), tc.n)
		}
		for i := range got.IDs {
			if got.IDs[i] != want.IDs[i] {
				t.Errorf("%s: id %d = %q, want %q", tc.file, i, got.IDs[i], want.IDs[i])
			}
			for j := range got.Vectors[i] {
				if got.Vectors[i][j] != want.Vectors[i][j] {
					t.Fatalf("%s: [%d][%d] = %v, want %v", tc.file, i, j, got.Vectors[i][j], want.Vectors[i][j])
				}
			}
		}
	}
}

func TestBadFiles(t *testing.T) {
	for file, words := range map[string]string{
		"float64.npz":        "float32",
		"int_ids.npz":        "strings",
		"ragged.npz":         "object array",
		"object_ids.npz":     "object array",
		"fortran.npz":        "Fortran order",
		"count_mismatch.npz": "5 ids but 6 vector rows",
		"no_ids.npz":         "needs the arrays ids and vectors",
		"vectors_1d.npz":     "2-D",
	} {
		_, err := Open(filepath.Join("testdata", file))
		if err == nil || !strings.Contains(err.Error(), words) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: err = %v, want it to name the file and say %q", file, err, words)
		}
	}
}

// TestTruncated cuts a good file at many places: every cut gives an error
// (at Open or at a row), never a silent short read.
func TestTruncated(t *testing.T) {
	for _, name := range []string{"good.npz", "good_compressed_bytes.npz"} {
		full, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for cut := 1; cut < len(full); cut += 37 {
			p := filepath.Join(dir, "cut.npz")
			if err := os.WriteFile(p, full[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := readAll(t, p); err == nil {
				t.Fatalf("%s cut at %d of %d bytes read without error", name, cut, len(full))
			}
		}
	}
}

// TestDamagedData flips a byte inside the vectors of the stored archive:
// the CRC check at the end of the member catches it.
func TestDamagedData(t *testing.T) {
	full, err := os.ReadFile("testdata/good.npz")
	if err != nil {
		t.Fatal(err)
	}
	// The vector data follows vectors.npy's 128-byte header; find the
	// member by its local header name.
	at := strings.Index(string(full), "vectors.npy")
	if at < 0 {
		t.Fatal("no vectors.npy in the archive")
	}
	bad := append([]byte(nil), full...)
	bad[at+len("vectors.npy")+128+40] ^= 0xff
	p := filepath.Join(t.TempDir(), "bad.npz")
	os.WriteFile(p, bad, 0o644)
	_, err = readAll(t, p)
	if err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Fatalf("damaged data: err = %v, want a CRC error", err)
	}
}

func TestParseDict(t *testing.T) {
	d, err := parseDict("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }   \n")
	if err != nil {
		t.Fatal(err)
	}
	if d["descr"] != "<f4" || d["fortran_order"] != false || len(d["shape"].([]any)) != 2 {
		t.Fatalf("%v", d)
	}
	for _, bad := range []string{"", "{", "{'a' 1}", "{'a': (1,", "[1]", "{'a': 1} x", "{'a': nope}"} {
		if _, err := parseDict(bad); err == nil {
			t.Errorf("parseDict(%q) accepted", bad)
		}
	}
}
