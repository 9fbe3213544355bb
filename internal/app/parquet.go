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
	"github.com/vecimg/vecimg/internal/shard"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// ExportParquetOptions writes the store as a folder of Parquet files.
type ExportParquetOptions struct {
	Out         string // the folder (created; an earlier vecimg export of a whole store there is replaced)
	RowsPerFile int    // 0 = parquetio.DefaultRowsPerFile
	VectorType  string // "float32" (default) or "float16"
	Progress    Progress
}

// ExportParquetResult is types.ExportParquetResult.
type ExportParquetResult = types.ExportParquetResult

// ExportParquet writes every record (id order, one snapshot) to o.Out: see
// internal/parquetio for the layout. Options and the folder are checked
// before anything is written.
func (a *App) ExportParquet(ctx context.Context, o ExportParquetOptions) (ExportParquetResult, error) {
	res := ExportParquetResult{Path: o.Out, Format: "parquet"}
	vt, err := checkParquetOut(o.Out, o.RowsPerFile, o.VectorType, "")
	if err != nil {
		return res, err
	}
	st, _, n, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	return writeParquet(ctx, st, o, vt, shard.Spec{}, int64(n), st.ReadOnly(), a.progress(o.Progress))
}

// checkParquetOut checks a Parquet --out folder and its options before
// anything is written, and returns the vector type. shardName is the shard
// ("I/N") that ingest --out writes, "" for a whole store: a folder holding
// the finished output of another shard (or of a whole store, when writing a
// shard, and the reverse) is refused, so that shards given the same --out
// do not replace each other's files. Any other earlier vecimg export there
// is replaced.
func checkParquetOut(out string, rowsPerFile int, vectorType, shardName string) (parquetio.VectorType, error) {
	if err := checkOutputDir(out, opt("out")); err != nil {
		return "", err
	}
	if rowsPerFile < 0 {
		return "", optInvalidf("{rows-per-file} %d: give a positive number of rows", rowsPerFile)
	}
	vt := parquetio.VectorType(strings.ToLower(vectorType))
	if vt == "" {
		vt = parquetio.Float32
	}
	if vt != parquetio.Float32 && vt != parquetio.Float16 {
		return "", optInvalidf("{vector-type} %q: use float32 or float16", vectorType)
	}
	if err := parquetio.CheckOutDir(out); err != nil {
		return "", &msgError{kind: ErrInvalid, cause: err, msg: err.Error()}
	}
	s, ok, err := parquetio.ReadSuccess(out)
	if err != nil {
		return "", optInvalidf("{out} %s: %v; use a new or empty folder", out, err)
	}
	if ok && s.Shard != shardName {
		what := "a whole store"
		if s.Shard != "" {
			what = "shard " + s.Shard
		}
		this := "a whole store"
		if shardName != "" {
			this = "shard " + shardName
		}
		return "", optInvalidf("{out} %s holds the Parquet export of %s; this writes %s: give each shard its own {out} folder "+
			"(e.g. vectors-$JOB_COMPLETION_INDEX.parquet), or remove that folder first", out, what, this)
	}
	return vt, nil
}

// writeParquet exports the records of st that sh owns (all, for the zero
// Spec) to o.Out; total is the expected row count for progress (-1:
// unknown). The options must have been checked by checkParquetOut. With
// release (only where a pageReleaser is safe: a read-only store, or under
// a.writeMu) the value-log pages read are released as the export goes.
func writeParquet(ctx context.Context, st *store.Store, o ExportParquetOptions, vt parquetio.VectorType, sh shard.Spec,
	total int64, release bool, p Progress) (ExportParquetResult, error) {
	res := ExportParquetResult{Path: o.Out, Format: "parquet", VectorType: string(vt)}
	if man, ok, err := st.Manifest(); err != nil {
		return res, err
	} else if ok {
		res.Dim = man.Dim
	}
	wo := parquetio.WriterOptions{RowsPerFile: o.RowsPerFile, VectorType: vt}
	var keep func(string) bool
	if sh.Enabled() {
		wo.Metadata = map[string]string{parquetio.MetaShard: sh.String()}
		keep = sh.Owns
	}
	start := time.Now()
	prog, end := libraryProgress(p, func(string, int64) (string, string, int64) {
		return "export " + filepath.Base(o.Out), "vec", total // the rows this export writes, which parquetio does not count first
	})
	var released int64
	var relErr error
	rel := newPageReleaser(st, res.Dim)
	s, err := parquetio.ExportStoreIDs(ctx, st, o.Out, wo, keep, func(stage string, rows, all int64) {
		prog(stage, rows, all)
		if release && relErr == nil && (rows-released)*int64(4*max(res.Dim, 1)) >= int64(releaseBytes) {
			relErr, released = rel.release(), rows
		}
	})
	end()
	if err == nil {
		err = relErr
	}
	if err != nil {
		return res, err
	}
	res.Records, res.Seconds = s.Rows, time.Since(start).Seconds()
	res.Files = make([]types.ParquetFile, len(s.Files))
	for i, f := range s.Files {
		res.Files[i] = types.ParquetFile(f)
	}
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
// Parquet files (a vecimg export, or *.parquet from another tool); a path
// that does not exist counts by its name, so that the error about it names
// the right format.
func isParquetInput(path string) bool {
	if _, err := os.Stat(path); err != nil {
		return strings.HasSuffix(strings.ToLower(path), ".parquet")
	}
	return parquetio.IsParquet(path)
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
	"pyarrow.parquet.write_table(pa.table({'id': ids, 'vector': vectors.tolist()}), path); name other columns with " +
	string(optStart) + "id-column" + string(optEnd) + " and " + string(optStart) + "vector-column" + string(optEnd)

// rowsName is the lower-case name Import matches against file endings: a
// folder of Parquet files counts as ".parquet".
func rowsName(path string) string {
	lower := strings.ToLower(path)
	if fi, err := os.Stat(path); err == nil && fi.IsDir() && isParquetInput(path) && !strings.HasSuffix(lower, ".parquet") {
		lower += "/.parquet"
	}
	return lower
}
