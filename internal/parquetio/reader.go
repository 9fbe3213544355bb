package parquetio

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/vecimg/vecimg/internal/vec"
)

// ReadOptions configure Open.
type ReadOptions struct {
	IDColumn     string // default "id"
	VectorColumn string // default "vector"
}

// Dataset is a set of Parquet files opened for reading: one file, a folder
// written by Writer (its SuccessFile names the files), or a folder of
// *.parquet files written by another tool.
type Dataset struct {
	Files []string // in reading order
	Rows  int64    // total, from the footers
	// Dim is the vector length: from the vecimg metadata, else from the
	// first row (0 when the dataset has no rows).
	Dim int
	// Vecimg is true for files written by this package; then Manifest is
	// the store manifest they carry (nil if none), and path, sha256, width,
	// height, label and distance are read too.
	Vecimg   bool
	Manifest json.RawMessage
	// Metadata is the first file's key-value metadata.
	Metadata map[string]string

	o ReadOptions
}

// Open lists and checks the files at path without reading their data: each
// must be a complete Parquet file whose schema has the id column (string,
// or INT32/INT64 written in decimal) and the vector column (a list of FLOAT,
// DOUBLE or FLOAT16). Files of one dataset must agree on vecimg metadata.
// Errors match ErrBadInput, or fs errors for unreadable paths.
func Open(path string, o ReadOptions) (*Dataset, error) {
	if o.IDColumn == "" {
		o.IDColumn = ColID
	}
	if o.VectorColumn == "" {
		o.VectorColumn = ColVector
	}
	files, success, err := listFiles(path)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Files: files, o: o}
	for i, name := range files {
		err := withFile(name, func(f *parquet.File) error {
			if _, err := columnsOf(name, f, o); err != nil {
				return err
			}
			kv := metadataOf(f)
			_, isV := kv[MetaFormat]
			if i == 0 {
				d.Metadata, d.Vecimg = kv, isV
				if m, ok := kv[MetaManifest]; ok {
					d.Manifest = json.RawMessage(m)
				}
				if s, ok := kv[MetaDim]; ok {
					n, err := strconv.Atoi(s)
					if err != nil || n < 1 || n > vec.MaxDim {
						return fmt.Errorf("%w: %s: metadata %s = %q is not a dimension", ErrBadInput, name, MetaDim, s)
					}
					d.Dim = n
				}
			} else {
				for _, k := range []string{MetaFormat, MetaDim, MetaManifest, MetaVectorType} {
					if kv[k] != d.Metadata[k] {
						return fmt.Errorf("%w: %s and %s disagree on %s (%.60q vs %.60q): they are not one export; read them separately",
							ErrBadInput, files[0], name, k, d.Metadata[k], kv[k])
					}
				}
			}
			if success != nil && f.NumRows() != success[filepath.Base(name)] {
				return fmt.Errorf("%w: %s has %d rows, %s says %d: the folder was changed after the export; export again",
					ErrBadInput, name, f.NumRows(), SuccessFile, success[filepath.Base(name)])
			}
			d.Rows += f.NumRows()
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if d.Vecimg && success == nil && isDir(path) {
		return nil, fmt.Errorf("%w: %s holds vecimg Parquet files but no %s: that export did not finish; run it again", ErrBadInput, path, SuccessFile)
	}
	return d, nil
}

// IsParquet reports whether path is an existing .parquet file, or a folder
// that holds a SuccessFile or .parquet files (what Open reads).
func IsParquet(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	if !fi.IsDir() {
		return strings.HasSuffix(strings.ToLower(path), ".parquet")
	}
	if _, err := os.Stat(filepath.Join(path, SuccessFile)); err == nil {
		return true
	}
	m, _ := filepath.Glob(filepath.Join(path, "*.parquet"))
	return len(m) > 0
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// listFiles returns the data files at path and, for a folder with a
// SuccessFile, the row count it lists per file.
func listFiles(path string) ([]string, map[string]int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if !fi.IsDir() {
		return []string{path}, nil, nil
	}
	if b, err := os.ReadFile(filepath.Join(path, SuccessFile)); err == nil && len(b) > 0 {
		var s Success
		if err := json.Unmarshal(b, &s); err != nil || s.Format != "vecimg-parquet" {
			return nil, nil, fmt.Errorf("%w: %s is not a vecimg export manifest", ErrBadInput, filepath.Join(path, SuccessFile))
		}
		rows := map[string]int64{}
		var files []string
		for _, e := range s.Files {
			if e.Name != filepath.Base(e.Name) || e.Name == "" {
				return nil, nil, fmt.Errorf("%w: %s lists %q", ErrBadInput, filepath.Join(path, SuccessFile), e.Name)
			}
			p := filepath.Join(path, e.Name)
			if _, err := os.Stat(p); err != nil {
				return nil, nil, fmt.Errorf("%w: %s lists %s, which is missing: %v", ErrBadInput, SuccessFile, p, err)
			}
			files = append(files, p)
			rows[e.Name] = e.Rows
		}
		return files, rows, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") || !strings.HasSuffix(strings.ToLower(n), ".parquet") || e.IsDir() {
			continue
		}
		files = append(files, filepath.Join(path, n))
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: %s holds no .parquet file", ErrBadInput, path)
	}
	slices.Sort(files)
	return files, nil, nil
}

func withFile(name string, fn func(f *parquet.File) error) error {
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, err)
	}
	f, err := parquet.OpenFile(fh, fi.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		return notParquet(name, fh, fi.Size())
	}
	return fn(f)
}

// notParquet says why the file fh (of size bytes, named name), which the
// Parquet reader refused, is not usable: it names the marker or the part
// that is missing, and never quotes the file's bytes (the reader's own
// message does).
func notParquet(name string, fh *os.File, size int64) error {
	const magic = "PAR1"
	var head, tail [4]byte
	if size >= 4 {
		if _, err := fh.ReadAt(head[:], 0); err != nil {
			return fmt.Errorf("cannot read %s: %w", name, err)
		}
		if string(head[:]) != magic {
			return fmt.Errorf("%w: %s is not a Parquet file (it does not start with %s)", ErrBadInput, name, magic)
		}
	}
	if size < 12 {
		return fmt.Errorf("%w: %s is not a complete Parquet file (%d bytes; the smallest is 12)", ErrBadInput, name, size)
	}
	if _, err := fh.ReadAt(tail[:], size-4); err != nil {
		return fmt.Errorf("cannot read %s: %w", name, err)
	}
	if string(tail[:]) != magic {
		return fmt.Errorf("%w: %s is not a complete Parquet file (it does not end with %s: truncated?)", ErrBadInput, name, magic)
	}
	return fmt.Errorf("%w: %s is a damaged Parquet file (its footer does not decode)", ErrBadInput, name)
}

func metadataOf(f *parquet.File) map[string]string {
	kv := map[string]string{}
	for _, e := range f.Metadata().KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	return kv
}
