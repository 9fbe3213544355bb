package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/x448/float16"
)

// Cursors over one column chunk's values, and over the vector list column
// with its repetition and definition levels, for reader_iter.go.

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
