package parquetio

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/vecimg/vecimg/internal/vec"
)

// Reading a dataset row by row (Scan, Iter) with the checks of each row,
// for the reader in reader.go.

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
			err := notParquet(it.name, fh, fi.Size())
			fh.Close()
			return false, err
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
