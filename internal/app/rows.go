package app

import (
	"path/filepath"
	"strings"

	"github.com/vecimg/vecimg/internal/npz"
)

// VectorRows is a source of (id, vector) rows that Import reads: a file of
// vectors made elsewhere. Import opens a file twice (a checking pass, then a
// writing pass), so a reader must stream: it may not hold the file in
// memory.
type VectorRows interface {
	// Dim is the vector length, known once the file is open.
	Dim() int
	// Len is the number of rows, or -1 when the format does not say.
	Len() int
	// Next returns the next row, or io.EOF after the last one. v is only
	// valid until the next call. A malformed file gives an error naming
	// the file, and the row or array concerned.
	Next() (id string, v []float32, err error)
	Close() error
}

// rowFormat is one file type Import reads.
type rowFormat struct {
	name  string
	exts  []string // file name endings, lower case
	open  func(path string, cols ParquetColumns) (VectorRows, error)
	usage string // how to write such a file, for error messages
}

// rowFormats lists the readable formats: the one place to add a reader.
var rowFormats = []rowFormat{
	{name: "npz", exts: []string{".npz"}, open: func(p string, _ ParquetColumns) (VectorRows, error) { return npz.Open(p) },
		usage: "np.savez(path, ids=np.array(ids, dtype=str), vectors=vectors.astype(np.float32))"},
	{name: "parquet", exts: []string{".parquet"}, open: openParquetRows, usage: parquetUsage},
}

// openRows opens path with the reader its file name calls for.
func openRows(path string, cols ParquetColumns) (VectorRows, string, error) {
	lower := rowsName(path)
	var names []string
	for _, f := range rowFormats {
		for _, e := range f.exts {
			if strings.HasSuffix(lower, e) {
				r, err := f.open(path, cols)
				if err != nil {
					return nil, f.name, optErr(ErrInvalid, err, "%v; write it with %s", err, f.usage)
				}
				return r, f.name, nil
			}
		}
		names = append(names, strings.Join(f.exts, ", "))
	}
	return nil, "", invalidf("cannot import %s: unknown file type %q (vecimg reads %s)", path, filepath.Ext(path), strings.Join(names, ", "))
}
