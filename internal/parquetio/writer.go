package parquetio

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/vecimg/vecimg/internal/vec"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/parquet-go/parquet-go"
	"github.com/x448/float16"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// DefaultRowsPerFile is WriterOptions.RowsPerFile when zero.
const DefaultRowsPerFile = 100_000

// groupBytes is the target size of one row group's vectors: the writer
// buffers one row group in memory before it writes it, so this bounds the
// memory an export needs whatever the store's size.
const groupBytes = 32 << 20

// SuccessFile is the name of the dataset manifest written last into an
// export folder. Spark, DuckDB globs (*.parquet) and Hadoop tools ignore
// files whose name starts with '_'.
const SuccessFile = "_SUCCESS"

// WriterOptions configure Create.
type WriterOptions struct {
	// RowsPerFile caps the rows of one file; default DefaultRowsPerFile.
	RowsPerFile int
	// RowsPerGroup is the rows of one row group; default: as many as make
	// about 32 MiB of vectors (2,048 at 4,096 float32s), at most RowsPerFile.
	RowsPerGroup int
	// VectorType is Float32 (default) or Float16.
	VectorType VectorType
	// Metadata is added to every file's key-value metadata (for example
	// MetaManifest). The MetaFormat, MetaDim, MetaVectorType and
	// MetaArrowSchema keys are set by the writer.
	Metadata map[string]string
}

// FileEntry is one data file of a dataset.
type FileEntry struct {
	Name  string `json:"name"` // base name inside the folder
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

// Success is the JSON content of SuccessFile.
type Success struct {
	Format     string      `json:"format"` // "vecimg-parquet"
	Version    string      `json:"version"`
	Dim        int         `json:"dim"`
	VectorType VectorType  `json:"vector_type"`
	Rows       int64       `json:"rows"`
	Files      []FileEntry `json:"files"`
	// Manifest is the store manifest (the MetaManifest value), when given.
	Manifest json.RawMessage `json:"manifest,omitempty"`
	// Shard is the MetaShard value, when given.
	Shard string `json:"shard,omitempty"`
}

// ReadSuccess reads the SuccessFile of dir; ok is false when there is none
// or it is empty (no vecimg export there, or one that did not finish).
func ReadSuccess(dir string) (s Success, ok bool, err error) {
	p := filepath.Join(dir, SuccessFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("cannot read %s: %w", p, err)
	}
	if len(b) == 0 { // an empty marker, as Hadoop tools write: no vecimg export
		return s, false, nil
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Format != "vecimg-parquet" {
		return s, false, fmt.Errorf("%w: %s is not a vecimg export manifest", ErrBadInput, p)
	}
	return s, true, nil
}

// Writer writes a dataset: a folder of part-NNNNN.parquet files and, on
// Close, the SuccessFile listing them. Each file is written to a hidden
// temporary name and renamed when complete (fsutil.WriteFileAtomic), so a
// reader never sees half a file; a folder without SuccessFile is an export
// that did not finish. Rows are not buffered beyond one row group.
type Writer struct {
	dir  string
	dim  int
	o    WriterOptions
	kv   map[string]string
	cur  *fileWriter
	done []FileEntry
	old  map[string]bool // part files of an earlier export, removed on Close
	err  error
	rows int64
}

// Create prepares dir for a dataset of vectors of dim values. dir is created
// when missing; it must be empty or hold an earlier vecimg export (only
// part-*.parquet files, SuccessFile and temporary files), which Create
// replaces: its SuccessFile is removed first, and part files the new export
// does not overwrite are removed by Close. Anything else in dir is refused
// before anything is written.
func Create(dir string, dim int, o WriterOptions) (*Writer, error) {
	if dim < 1 {
		return nil, fmt.Errorf("parquet export: dimension %d", dim)
	}
	if o.RowsPerFile <= 0 {
		o.RowsPerFile = DefaultRowsPerFile
	}
	if o.VectorType == "" {
		o.VectorType = Float32
	}
	if o.VectorType != Float32 && o.VectorType != Float16 {
		return nil, fmt.Errorf("parquet export: vector type %q: use float32 or float16", o.VectorType)
	}
	if o.RowsPerGroup <= 0 {
		o.RowsPerGroup = max(1, groupBytes/(4*dim))
	}
	o.RowsPerGroup = min(o.RowsPerGroup, o.RowsPerFile)
	as, err := arrowSchema(parquetSchema(o.VectorType), dim, o.VectorType)
	if err != nil {
		return nil, err
	}
	arrowMeta, err := encodeArrowSchema(as)
	if err != nil {
		return nil, err
	}
	old, err := checkOutDir(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("parquet export: cannot create %s: %w", dir, err)
	}
	if err := os.Remove(filepath.Join(dir, SuccessFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("parquet export: cannot replace %s: %w", filepath.Join(dir, SuccessFile), err)
	}
	kv := map[string]string{}
	for k, v := range o.Metadata {
		kv[k] = v
	}
	kv[MetaFormat] = FormatVersion
	kv[MetaDim] = strconv.Itoa(dim)
	kv[MetaVectorType] = string(o.VectorType)
	kv[MetaArrowSchema] = arrowMeta
	return &Writer{dir: dir, dim: dim, o: o, kv: kv, old: old}, nil
}

// PartName is the name of the i-th data file.
func PartName(i int) string { return fmt.Sprintf("part-%05d.parquet", i) }

// CheckOutDir reports why dir cannot take an export (Create would refuse
// it), without changing anything.
func CheckOutDir(dir string) error {
	_, err := checkOutDir(dir)
	return err
}

// checkOutDir refuses a folder that holds anything but an earlier export
// and returns the part files found.
func checkOutDir(dir string) (map[string]bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return nil, &OutDirError{Dir: dir, File: true}
		}
		return nil, fmt.Errorf("parquet export: cannot read %s: %w", dir, err)
	}
	old := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		switch {
		case n == SuccessFile:
		case strings.HasPrefix(n, ".part-") && strings.Contains(n, ".tmp-"):
			// a temporary file of an export that was killed
		case e.Type().IsRegular() && isPartName(n):
			old[n] = true
		default:
			return nil, &OutDirError{Dir: dir, Entry: n}
		}
	}
	return old, nil
}

func isPartName(n string) bool {
	digits, ok := strings.CutPrefix(n, "part-")
	if !ok {
		return false
	}
	digits, ok = strings.CutSuffix(digits, ".parquet")
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Write appends rows. Vectors must have the writer's dimension and be
// finite. Write does not keep rows or their vectors after it returns.
func (w *Writer) Write(rows []Row) error {
	for len(rows) > 0 {
		if w.err != nil {
			return w.err
		}
		if w.cur == nil {
			w.cur = w.startFile(len(w.done))
		}
		n := min(len(rows), w.o.RowsPerFile-w.cur.rows)
		if err := w.cur.write(rows[:n], w.dim); err != nil {
			w.fail(err)
			return w.err
		}
		w.rows += int64(n)
		rows = rows[n:]
		if w.cur.rows == w.o.RowsPerFile {
			w.finishFile()
		}
	}
	return w.err
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	if w.cur != nil {
		w.cur.abort()
		w.cur = nil
	}
}

// Rows returns the rows written so far.
func (w *Writer) Rows() int64 { return w.rows }

// Close finishes the last file, writes SuccessFile and removes stale part
// files of an earlier export. An export of no rows writes one file without
// rows, so that readers find the schema.
func (w *Writer) Close() (Success, error) {
	if w.err != nil {
		return Success{}, w.err
	}
	if w.cur == nil && len(w.done) == 0 {
		w.cur = w.startFile(0)
	}
	if w.cur != nil {
		w.finishFile()
	}
	if w.err != nil {
		return Success{}, w.err
	}
	s := Success{Format: "vecimg-parquet", Version: FormatVersion, Dim: w.dim, VectorType: w.o.VectorType,
		Rows: w.rows, Files: slices.Clone(w.done), Shard: w.kv[MetaShard]}
	if m, ok := w.kv[MetaManifest]; ok && json.Valid([]byte(m)) {
		s.Manifest = json.RawMessage(m)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return Success{}, err
	}
	err = fsutil.WriteFileAtomic(filepath.Join(w.dir, SuccessFile), func(out io.Writer) error {
		_, err := out.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return Success{}, fmt.Errorf("parquet export: %w", err)
	}
	for _, f := range w.done {
		delete(w.old, f.Name)
	}
	for n := range w.old {
		if err := os.Remove(filepath.Join(w.dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return s, fmt.Errorf("parquet export: remove %s left from an earlier export: %w", n, err)
		}
	}
	return s, nil
}

// Abort stops the export: the file in progress is discarded (files already
// finished stay, and there is no SuccessFile).
func (w *Writer) Abort() {
	w.fail(errors.New("parquet export aborted"))
}

func (w *Writer) finishFile() {
	f := w.cur
	w.cur = nil
	rows, err := f.finish()
	if err != nil {
		w.fail(err)
		return
	}
	fi, err := os.Stat(f.path)
	if err != nil {
		w.fail(err)
		return
	}
	w.done = append(w.done, FileEntry{Name: filepath.Base(f.path), Rows: int64(rows), Bytes: fi.Size()})
}

// fileWriter writes one file: WriteFileAtomic runs in a goroutine and its
// callback encodes the batches that write hands it, one at a time.
type fileWriter struct {
	path   string
	rows   int
	in     chan []Row    // batches; closed to finish the file
	ack    chan error    // one reply per batch
	result chan error    // WriteFileAtomic's result
	abortc chan struct{} // closed to discard the file
}

func (w *Writer) startFile(i int) *fileWriter {
	f := &fileWriter{path: filepath.Join(w.dir, PartName(i)), in: make(chan []Row), ack: make(chan error),
		result: make(chan error, 1), abortc: make(chan struct{})}
	go func() {
		f.result <- fsutil.WriteFileAtomic(f.path, func(out io.Writer) error { return w.encode(out, f) })
	}()
	return f
}

var errAborted = errors.New("aborted")

// encode runs inside WriteFileAtomic: it writes the batches of f to out.
func (w *Writer) encode(out io.Writer, f *fileWriter) error {
	opts := []parquet.WriterOption{
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(int64(w.o.RowsPerGroup)),
		parquet.CreatedBy("vecimg", FormatVersion, ""),
		parquet.SkipPageBounds(ColVector, "list", "element"),
	}
	for k, v := range w.kv {
		opts = append(opts, parquet.KeyValueMetadata(k, v))
	}
	var (
		write func([]Row) error
		close func() error
	)
	if w.o.VectorType == Float16 {
		// parquet-go maps row16 to schema16 by reflection (its fast path
		// needs the schema of the Go type, which cannot say FLOAT16): about
		// 8× slower than float32 here; building parquet.Rows was slower still.
		pw := parquet.NewGenericWriter[row16](out, append(opts, schema16())...)
		buf := make([]row16, 0, 64)
		write = func(rows []Row) error {
			buf = buf[:0]
			for i := range rows {
				r, err := toRow16(&rows[i])
				if err != nil {
					return err
				}
				buf = append(buf, r)
			}
			_, err := pw.Write(buf)
			return err
		}
		close = pw.Close
	} else {
		pw := parquet.NewGenericWriter[row32](out, opts...)
		buf := make([]row32, 0, 64)
		labels := make([]int32, 0, 64)
		write = func(rows []Row) error {
			buf, labels = buf[:0], labels[:0]
			for i := range rows {
				labels = append(labels, rows[i].Label)
			}
			for i := range rows {
				r := &rows[i]
				var lp *int32
				if r.Label >= 0 {
					lp = &labels[i]
				}
				buf = append(buf, row32{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: r.Width, Height: r.Height,
					Label: lp, Distance: r.Distance, Vector: r.Vector})
			}
			_, err := pw.Write(buf)
			clear(buf) // drop references to the caller's vectors
			return err
		}
		close = pw.Close
	}
	for {
		select {
		case <-f.abortc:
			return errAborted
		case rows, ok := <-f.in:
			if !ok {
				return close()
			}
			err := write(rows)
			f.ack <- err
			if err != nil {
				return err
			}
		}
	}
}

func toRow16(r *Row) (row16, error) {
	v := make([][2]byte, len(r.Vector))
	for i, x := range r.Vector {
		h := float16.Fromfloat32(x)
		if h.IsInf(0) {
			return row16{}, &Float16RangeError{ID: r.ID, Index: i, Value: x}
		}
		binary.LittleEndian.PutUint16(v[i][:], h.Bits())
	}
	out := row16{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: r.Width, Height: r.Height, Distance: r.Distance, Vector: v}
	if r.Label >= 0 {
		l := r.Label
		out.Label = &l
	}
	return out, nil
}

// write hands rows to the encoder and waits until they are encoded.
func (f *fileWriter) write(rows []Row, dim int) error {
	for i := range rows {
		if err := checkRow(&rows[i], dim); err != nil {
			return err
		}
	}
	select {
	case f.in <- rows:
	case err := <-f.result: // the encoder stopped early
		f.result <- err
		return fmt.Errorf("parquet export: %w", err)
	}
	if err := <-f.ack; err != nil {
		return fmt.Errorf("parquet export: %s: %w", f.path, err)
	}
	f.rows += len(rows)
	return nil
}

func checkRow(r *Row, dim int) error {
	if len(r.Vector) != dim {
		return fmt.Errorf("parquet export: record %q has %d values, the export's dimension is %d", r.ID, len(r.Vector), dim)
	}
	if err := vec.Check(r.Vector, dim); err != nil {
		return fmt.Errorf("parquet export: record %q: %w", r.ID, err)
	}
	return nil
}

func (f *fileWriter) finish() (int, error) {
	close(f.in)
	if err := <-f.result; err != nil {
		return 0, fmt.Errorf("parquet export: %w", err)
	}
	return f.rows, nil
}

func (f *fileWriter) abort() {
	close(f.abortc)
	<-f.result
}
