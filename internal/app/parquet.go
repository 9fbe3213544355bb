package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vecimg/vecimg/internal/parquetio"
)

// ExportParquetOptions writes the store as a folder of Parquet files.
type ExportParquetOptions struct {
	Out         string // the folder (created; an earlier vecimg export there is replaced)
	RowsPerFile int    // 0 = parquetio.DefaultRowsPerFile
	VectorType  string // "float32" (default) or "float16"
	Progress    Progress
}

// ExportParquetResult says what was written.
type ExportParquetResult struct {
	Path       string                `json:"path"`
	Format     string                `json:"format"` // "parquet"
	Records    int64                 `json:"records"`
	Dim        int                   `json:"dim"`
	VectorType string                `json:"vector_type"`
	Files      []parquetio.FileEntry `json:"files"`
	Bytes      int64                 `json:"bytes"` // all data files
	Seconds    float64               `json:"seconds"`
}

// ExportParquet writes every record (id order, one snapshot) to o.Out: see
// internal/parquetio for the layout. Options and the folder are checked
// before anything is written.
func (a *App) ExportParquet(ctx context.Context, o ExportParquetOptions) (ExportParquetResult, error) {
	res := ExportParquetResult{Path: o.Out, Format: "parquet"}
	if err := checkOutputDir(o.Out, "--out"); err != nil {
		return res, err
	}
	if o.RowsPerFile < 0 {
		return res, invalidf("--rows-per-file %d: give a positive number of rows", o.RowsPerFile)
	}
	vt := parquetio.VectorType(strings.ToLower(o.VectorType))
	if vt == "" {
		vt = parquetio.Float32
	}
	if vt != parquetio.Float32 && vt != parquetio.Float16 {
		return res, invalidf("--vector-type %q: use float32 or float16", o.VectorType)
	}
	if err := parquetio.CheckOutDir(o.Out); err != nil {
		return res, invalidf("%v", err)
	}
	st, err := a.Store()
	if err != nil {
		return res, err
	}
	man, n, err := storeNonEmpty(st)
	if err != nil {
		return res, err
	}
	res.Dim, res.VectorType = man.Dim, string(vt)
	p := a.progress(o.Progress)
	start := time.Now()
	p.Start("export "+filepath.Base(o.Out), "vec", int64(n))
	var last int64
	s, err := parquetio.ExportStore(ctx, st, o.Out, parquetio.WriterOptions{RowsPerFile: o.RowsPerFile, VectorType: vt}, func(rows int64) {
		p.Add(rows - last)
		last = rows
	})
	p.Done()
	if err != nil {
		return res, err
	}
	res.Records, res.Files, res.Seconds = s.Rows, s.Files, time.Since(start).Seconds()
	for _, f := range s.Files {
		res.Bytes += f.Bytes
	}
	return res, nil
}

// ParquetColumns names the columns Import reads from a Parquet file.
type ParquetColumns struct {
	ID     string // default "id"
	Vector string // default "vector"
}

// parquetRows reads a Parquet file or folder as VectorRows. The dimension
// of files without vecimg metadata is that of the first row, read at open.
type parquetRows struct {
	d      *parquetio.Dataset
	it     *parquetio.Iter
	peeked *parquetio.Row
	err    error
}

func openParquetRows(path string, cols ParquetColumns) (VectorRows, error) {
	d, err := parquetio.Open(path, parquetio.ReadOptions{IDColumn: cols.ID, VectorColumn: cols.Vector})
	if err != nil {
		return nil, err
	}
	r := &parquetRows{d: d, it: d.Iter()}
	if d.Dim == 0 && d.Rows > 0 {
		row, err := r.it.Next()
		if err != nil && err != io.EOF {
			r.it.Close()
			return nil, err
		}
		r.peeked, r.err = row, err
	}
	return r, nil
}

func (r *parquetRows) Dim() int { return r.d.Dim }
func (r *parquetRows) Len() int { return int(r.d.Rows) }
func (r *parquetRows) Close() error {
	return r.it.Close()
}

func (r *parquetRows) Next() (string, []float32, error) {
	if r.peeked != nil {
		row := r.peeked
		r.peeked = nil
		return row.ID, row.Vector, nil
	}
	if r.err != nil {
		return "", nil, r.err
	}
	row, err := r.it.Next()
	if err != nil {
		return "", nil, err
	}
	return row.ID, row.Vector, nil
}

// isParquetInput reports whether path is a .parquet file or a folder of
// Parquet files (a vecimg export, or *.parquet from another tool).
func isParquetInput(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return strings.HasSuffix(strings.ToLower(path), ".parquet")
	}
	if !fi.IsDir() {
		return strings.HasSuffix(strings.ToLower(path), ".parquet")
	}
	if _, err := os.Stat(filepath.Join(path, parquetio.SuccessFile)); err == nil {
		return true
	}
	m, _ := filepath.Glob(filepath.Join(path, "*.parquet"))
	return len(m) > 0
}

// checkImportInput checks the path Import reads: a readable file, or a
// folder of Parquet files.
func checkImportInput(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if isParquetInput(path) {
			return nil
		}
		return invalidf("import %s is a folder without .parquet files: pass a .npz or .parquet file, or a folder of Parquet files", path)
	}
	return checkInputFile(path, "import")
}

func (o ParquetColumns) String() string {
	return fmt.Sprintf("id column %q, vector column %q", o.ID, o.Vector)
}

const parquetUsage = "columns id (string or integer) and vector (a list of float32 or float64), e.g. " +
	"pyarrow.parquet.write_table(pa.table({'id': ids, 'vector': vectors.tolist()}), path); name other columns with --id-column and --vector-column"

// rowsName is the lower-case name Import matches against file endings: a
// folder of Parquet files counts as ".parquet".
func rowsName(path string) string {
	lower := strings.ToLower(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() && isParquetInput(path) && !strings.HasSuffix(lower, ".parquet") {
		lower += "/.parquet"
	}
	return lower
}
