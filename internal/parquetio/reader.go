package parquetio

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/x448/float16"

	"github.com/vecimg/vecimg/internal/vec"
)

// ErrBadInput is matched (errors.Is) by every error about the content of a
// Parquet input: not Parquet, truncated, missing or mistyped columns, ragged
// or null vectors, non-finite values, bad ids.
var ErrBadInput = errors.New("invalid Parquet input")

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
		return fmt.Errorf("%w: %s is not a complete Parquet file (truncated, or not Parquet): %v", ErrBadInput, name, err)
	}
	return fn(f)
}

func metadataOf(f *parquet.File) map[string]string {
	kv := map[string]string{}
	for _, e := range f.Metadata().KeyValueMetadata {
		kv[e.Key] = e.Value
	}
	return kv
}

// elemKind is how a vector element is decoded.
type elemKind int

const (
	elemFloat elemKind = iota
	elemDouble
	elemHalf
)

// colSet locates the leaf columns a scan reads; -1 when absent.
type colSet struct {
	id, vector                                int
	idInt                                     bool
	elem                                      elemKind
	vecMaxDef                                 int
	path, sha, width, height, label, distance int
}

func columnNames(s *parquet.Schema) string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name())
	}
	return strings.Join(names, ", ")
}

func columnsOf(name string, f *parquet.File, o ReadOptions) (colSet, error) {
	s := f.Schema()
	bad := func(format string, args ...any) (colSet, error) {
		return colSet{}, fmt.Errorf("%w: %s: %s", ErrBadInput, name, fmt.Sprintf(format, args...))
	}
	c := colSet{path: -1, sha: -1, width: -1, height: -1, label: -1, distance: -1}
	id, ok := s.Lookup(o.IDColumn)
	if !ok {
		return bad("no id column %q (columns: %s); name it with --id-column", o.IDColumn, columnNames(s))
	}
	switch k := id.Node.Type().Kind(); {
	case id.MaxRepetitionLevel > 0:
		return bad("id column %q is a list; it must hold one string or integer per row", o.IDColumn)
	case k == parquet.ByteArray:
	case k == parquet.Int32 || k == parquet.Int64:
		c.idInt = true
	default:
		return bad("id column %q is %s; it must be a string or an integer", o.IDColumn, id.Node.Type())
	}
	c.id = id.ColumnIndex
	var leaves [][]string
	for _, p := range s.Columns() {
		if p[0] == o.VectorColumn {
			leaves = append(leaves, p)
		}
	}
	if len(leaves) == 0 {
		return bad("no vector column %q (columns: %s); name it with --vector-column", o.VectorColumn, columnNames(s))
	}
	if len(leaves) > 1 {
		return bad("vector column %q is a group of %d columns; it must be a list of numbers", o.VectorColumn, len(leaves))
	}
	v, _ := s.Lookup(leaves[0]...)
	if v.MaxRepetitionLevel != 1 {
		if v.MaxRepetitionLevel == 0 {
			return bad("vector column %q is a single %s per row; it must be a list of float32 or float64", o.VectorColumn, v.Node.Type())
		}
		return bad("vector column %q is a nested list; it must be a flat list of float32 or float64", o.VectorColumn)
	}
	t := v.Node.Type()
	switch {
	case t.Kind() == parquet.Float:
		c.elem = elemFloat
	case t.Kind() == parquet.Double:
		c.elem = elemDouble
	case t.Kind() == parquet.FixedLenByteArray && t.Length() == 2 && isFloat16Leaf(f, v.ColumnIndex):
		c.elem = elemHalf
	default:
		return bad("vector column %q is a list of %s; it must be a list of float32 or float64 (or float16)", o.VectorColumn, t)
	}
	c.vector, c.vecMaxDef = v.ColumnIndex, v.MaxDefinitionLevel
	if _, isV := metadataOf(f)[MetaFormat]; isV {
		for _, want := range []struct {
			name string
			kind parquet.Kind
			dst  *int
		}{
			{ColPath, parquet.ByteArray, &c.path}, {ColSHA256, parquet.ByteArray, &c.sha},
			{ColWidth, parquet.Int32, &c.width}, {ColHeight, parquet.Int32, &c.height},
			{ColLabel, parquet.Int32, &c.label}, {ColDistance, parquet.Float, &c.distance},
		} {
			l, ok := s.Lookup(want.name)
			if !ok || l.MaxRepetitionLevel != 0 || l.Node.Type().Kind() != want.kind {
				return bad("written by vecimg but column %q is missing or not %s", want.name, want.kind)
			}
			*want.dst = l.ColumnIndex
		}
	}
	return c, nil
}

// isFloat16Leaf reports whether leaf column i carries the FLOAT16 logical
// type, which parquet-go's schema drops when it reads a file: the footer's
// schema elements are listed depth first, so the i-th element without
// children is leaf column i.
func isFloat16Leaf(f *parquet.File, i int) bool {
	leaf := 0
	for _, e := range f.Metadata().Schema {
		if n, ok := e.NumChildren.Get(); ok && n > 0 {
			continue
		}
		if leaf == i {
			_, ok := e.LogicalType.Value.(*format.Float16Type)
			return ok
		}
		leaf++
	}
	return false
}

// Scan reads every row in file order and calls fn with it. Each row is
// checked first: a non-empty id without NUL bytes, a vector of Dim values
// (the first row fixes Dim when the metadata does not), no nulls, every
// value finite, not all zero. The first bad row stops the scan with an error
// naming the file, the row and the id (matching ErrBadInput); an error of
// fn is returned unchanged.
//
// The *Row and its Vector are reused for the next row: fn must not keep them.
func (d *Dataset) Scan(ctx context.Context, fn func(r *Row) error) error {
	it := d.Iter()
	defer it.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := it.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// Iter reads a dataset row by row; see Scan for the checks. Close it.
type Iter struct {
	d         *Dataset
	file      int // next file to open
	fh        *os.File
	name      string
	f         *parquet.File
	c         colSet
	groups    []parquet.RowGroup
	group     int // next row group
	left      int64
	vc        *vecCursor
	cur       map[string]*cursor
	rowInFile int64
	r         Row
	err       error
}

// Iter starts reading d from its first row.
func (d *Dataset) Iter() *Iter { return &Iter{d: d} }

// Close releases the open file.
func (it *Iter) Close() error {
	it.closeGroup()
	if it.fh != nil {
		it.fh.Close()
		it.fh = nil
	}
	return nil
}

func (it *Iter) closeGroup() {
	if it.vc != nil {
		it.vc.pages.Close()
		it.vc = nil
	}
	for _, c := range it.cur {
		c.pages.Close()
	}
	it.cur = nil
}

// advance opens the next row group (and file) that has rows; false at the
// end of the dataset.
func (it *Iter) advance() (bool, error) {
	it.closeGroup()
	for {
		if it.f != nil && it.group < len(it.groups) {
			rg := it.groups[it.group]
			it.group++
			if rg.NumRows() == 0 {
				continue
			}
			chunks := rg.ColumnChunks()
			it.vc = &vecCursor{pages: chunks[it.c.vector].Pages(), maxDef: it.c.vecMaxDef, elem: it.c.elem}
			it.cur = map[string]*cursor{}
			for k, i := range map[string]int{ColID: it.c.id, ColPath: it.c.path, ColSHA256: it.c.sha,
				ColWidth: it.c.width, ColHeight: it.c.height, ColLabel: it.c.label, ColDistance: it.c.distance} {
				if i >= 0 {
					it.cur[k] = newCursor(chunks[i].Pages())
				}
			}
			it.left = rg.NumRows()
			return true, nil
		}
		if it.fh != nil {
			it.fh.Close()
			it.fh, it.f = nil, nil
		}
		if it.file >= len(it.d.Files) {
			return false, nil
		}
		it.name = it.d.Files[it.file]
		it.file++
		fh, err := os.Open(it.name)
		if err != nil {
			return false, fmt.Errorf("cannot read %s: %w", it.name, err)
		}
		fi, err := fh.Stat()
		if err != nil {
			fh.Close()
			return false, fmt.Errorf("cannot read %s: %w", it.name, err)
		}
		f, err := parquet.OpenFile(fh, fi.Size(), parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
		if err != nil {
			fh.Close()
			return false, fmt.Errorf("%w: %s is not a complete Parquet file (truncated, or not Parquet): %v", ErrBadInput, it.name, err)
		}
		c, err := columnsOf(it.name, f, it.d.o)
		if err != nil {
			fh.Close()
			return false, err
		}
		it.fh, it.f, it.c, it.groups, it.group, it.rowInFile = fh, f, c, f.RowGroups(), 0, 0
	}
}

// Next returns the next row, or io.EOF after the last. The *Row and its
// Vector are reused by the next call. The first error sticks.
func (it *Iter) Next() (*Row, error) {
	if it.err != nil {
		return nil, it.err
	}
	r, err := it.next()
	if err != nil {
		it.err = err
		it.Close()
	}
	return r, err
}

func (it *Iter) next() (*Row, error) {
	for it.left == 0 {
		ok, err := it.advance()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
	}
	it.left--
	d, c, r, name := it.d, it.c, &it.r, it.name
	row := it.rowInFile
	it.rowInFile++
	r.ID = ""
	fail := func(format string, args ...any) error {
		id := ""
		if r.ID != "" {
			id = fmt.Sprintf(" (id %q)", r.ID)
		}
		return fmt.Errorf("%w: %s: row %d%s: %s", ErrBadInput, name, row, id, fmt.Sprintf(format, args...))
	}
	one := func(col string) (parquet.Value, error) {
		v, err := it.cur[col].next()
		if err != nil {
			return v, fail("column %q: %v", col, err)
		}
		return v, nil
	}
	v, err := one(ColID)
	if err != nil {
		return nil, err
	}
	switch {
	case v.IsNull():
		return nil, fail("the id is null")
	case c.idInt && v.Kind() == parquet.Int32:
		r.ID = strconv.FormatInt(int64(v.Int32()), 10)
	case c.idInt:
		r.ID = strconv.FormatInt(v.Int64(), 10)
	default:
		r.ID = string(v.ByteArray())
	}
	if err := vec.CheckID(r.ID); err != nil {
		return nil, fail("%v", err)
	}
	var nulls bool
	r.Vector, nulls, err = it.vc.row(r.Vector[:0])
	if err != nil {
		return nil, fail("column %q: %v", ColVector, err)
	}
	if nulls {
		return nil, fail("the vector is null, empty or holds a null value")
	}
	if d.Dim == 0 {
		d.Dim = len(r.Vector)
	}
	if len(r.Vector) != d.Dim {
		return nil, fail("the vector has %d values, earlier rows have %d (ragged vectors cannot be imported)", len(r.Vector), d.Dim)
	}
	if err := vec.Check(r.Vector, d.Dim); err != nil {
		return nil, fail("%v", err)
	}
	r.Path, r.SHA256, r.Width, r.Height, r.Label, r.Distance = "", "", 0, 0, -1, 0
	if c.path < 0 {
		return r, nil
	}
	for _, col := range []string{ColPath, ColSHA256, ColWidth, ColHeight, ColLabel, ColDistance} {
		v, err := one(col)
		if err != nil {
			return nil, err
		}
		if v.IsNull() {
			if col == ColLabel {
				continue
			}
			return nil, fail("column %q is null", col)
		}
		switch col {
		case ColPath:
			r.Path = string(v.ByteArray())
		case ColSHA256:
			r.SHA256 = string(v.ByteArray())
		case ColWidth:
			r.Width = v.Int32()
		case ColHeight:
			r.Height = v.Int32()
		case ColLabel:
			r.Label = v.Int32()
		case ColDistance:
			r.Distance = v.Float()
			if math.IsNaN(float64(r.Distance)) || math.IsInf(float64(r.Distance), 0) {
				return nil, fail("distance is %v", r.Distance)
			}
		}
	}
	return r, nil
}

// cursor reads the values of one column chunk, row by row.
type cursor struct {
	pages parquet.Pages
	vr    parquet.ValueReader
	buf   []parquet.Value
	i, n  int
}

func newCursor(p parquet.Pages) *cursor {
	return &cursor{pages: p, buf: make([]parquet.Value, 4096)}
}

var errEnds = errors.New("the column ends before the row group does (file truncated or corrupt)")

// fill makes buf[i] the next value; false at the end of the chunk.
func (c *cursor) fill() (bool, error) {
	for c.i >= c.n {
		if c.vr == nil {
			p, err := c.pages.ReadPage()
			if err == io.EOF {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			c.vr = p.Values()
		}
		n, err := c.vr.ReadValues(c.buf)
		c.i, c.n = 0, n
		if err == io.EOF {
			c.vr = nil
		} else if err != nil {
			return false, err
		}
	}
	return true, nil
}

// next returns the one value of a non-repeated column's next row.
func (c *cursor) next() (parquet.Value, error) {
	ok, err := c.fill()
	if err != nil || !ok {
		return parquet.Value{}, cmpErr(err)
	}
	v := c.buf[c.i]
	c.i++
	return v, nil
}

// vecCursor reads a list column of numbers page by page: each page's
// repetition and definition levels and its non-null values (converted to
// float32) are copied out before the next page is read, whose buffers may
// reuse the last page's. Plain and byte-stream-split pages are read as
// typed arrays; other encodings (dictionary) through parquet.Value.
type vecCursor struct {
	pages      parquet.Pages
	maxDef     int
	elem       elemKind
	reps, defs []byte
	vals       []float32
	li, vi     int // next level, next value
	vbuf       []parquet.Value
}

// next loads the next page; false at the end of the chunk.
func (c *vecCursor) next() (bool, error) {
	for {
		p, err := c.pages.ReadPage()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		err = c.load(p)
		parquet.Release(p)
		if err != nil {
			return false, err
		}
		if len(c.reps) > 0 {
			return true, nil
		}
	}
}

func (c *vecCursor) load(p parquet.Page) error {
	c.li, c.vi = 0, 0
	c.reps = append(c.reps[:0], p.RepetitionLevels()...)
	c.defs = append(c.defs[:0], p.DefinitionLevels()...)
	c.vals = c.vals[:0]
	if len(c.reps) != int(p.NumValues()) || len(c.defs) != int(p.NumValues()) {
		return fmt.Errorf("page of %d values has %d repetition and %d definition levels", p.NumValues(), len(c.reps), len(c.defs))
	}
	kind := p.Type().Kind()
	data := p.Data()
	if p.Dictionary() == nil {
		switch {
		case c.elem == elemFloat && kind == parquet.Float:
			c.vals = append(c.vals, data.Float()...)
			return c.checkCount(p)
		case c.elem == elemDouble && kind == parquet.Double:
			for _, f := range data.Double() {
				c.vals = append(c.vals, float32(f))
			}
			return c.checkCount(p)
		case c.elem == elemHalf && kind == parquet.FixedLenByteArray:
			b, size := data.FixedLenByteArray()
			if size != 2 {
				return fmt.Errorf("float16 values of %d bytes", size)
			}
			for i := 0; i+1 < len(b); i += 2 {
				c.vals = append(c.vals, float16.Frombits(binary.LittleEndian.Uint16(b[i:])).Float32())
			}
			return c.checkCount(p)
		}
	}
	// Generic path: read parquet.Values and keep the non-null ones.
	conv := convFloat
	switch c.elem {
	case elemDouble:
		conv = convDouble
	case elemHalf:
		conv = convHalf
	}
	if c.vbuf == nil {
		c.vbuf = make([]parquet.Value, 4096)
	}
	vr := p.Values()
	for {
		n, err := vr.ReadValues(c.vbuf)
		for _, v := range c.vbuf[:n] {
			if !v.IsNull() {
				c.vals = append(c.vals, conv(v))
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return c.checkCount(p)
}

// checkCount makes sure the values match the definition levels, which row
// indexes them by.
func (c *vecCursor) checkCount(parquet.Page) error {
	want := 0
	for _, d := range c.defs {
		if int(d) >= c.maxDef {
			want++
		}
	}
	if len(c.vals) != want {
		return fmt.Errorf("page holds %d values, its levels say %d", len(c.vals), want)
	}
	return nil
}

// row appends the next row's values to dst; nulls is true when one of its
// levels is below maxDef (a null or empty list, or a null element).
func (c *vecCursor) row(dst []float32) (out []float32, nulls bool, err error) {
	if c.li >= len(c.reps) {
		ok, err := c.next()
		if err != nil || !ok {
			return dst, false, cmpErr(err)
		}
	}
	first := true
	for {
		// The row's levels in this page: [c.li, end).
		end := c.li
		if first && end < len(c.reps) {
			end++
			first = false
		}
		for end < len(c.reps) && c.reps[end] > 0 {
			end++
		}
		full := true
		maxDef := byte(c.maxDef)
		for _, d := range c.defs[c.li:end] {
			if d < maxDef {
				full = false
				break
			}
		}
		if full { // the usual case: every level holds a value
			n := end - c.li
			dst = append(dst, c.vals[c.vi:c.vi+n]...)
			c.vi += n
			c.li = end
		} else {
			for ; c.li < end; c.li++ {
				if int(c.defs[c.li]) < c.maxDef {
					nulls = true
				} else {
					dst = append(dst, c.vals[c.vi])
					c.vi++
				}
			}
		}
		if c.li < len(c.reps) {
			return dst, nulls, nil
		}
		// The row may go on in the next page.
		ok, err := c.next()
		if err != nil {
			return dst, nulls, err
		}
		if !ok {
			return dst, nulls, nil
		}
		if c.reps[0] == 0 {
			return dst, nulls, nil
		}
	}
}

func convFloat(v parquet.Value) float32  { return v.Float() }
func convDouble(v parquet.Value) float32 { return float32(v.Double()) }
func convHalf(v parquet.Value) float32 {
	b := v.ByteArray()
	if len(b) != 2 {
		return float32(math.NaN()) // refused by vec.Check
	}
	return float16.Frombits(binary.LittleEndian.Uint16(b)).Float32()
}

func cmpErr(err error) error {
	if err == nil {
		return errEnds
	}
	return err
}
