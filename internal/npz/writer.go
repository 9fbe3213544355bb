package npz

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// ErrMisuse reports a Writer used against its rules (a bad or repeated
// array name, a row of the wrong length, too many or too few rows).
var ErrMisuse = errors.New("npz: writer misuse")

// Writer writes a NumPy .npz archive: a zip of .npy files (format 1.0),
// one per array, that numpy.load reads without pickle. Arrays are written one
// after another; a float32 matrix streams row by row, so an export never
// holds all vectors in memory. Call Close to finish the archive.
type Writer struct {
	zw    *zip.Writer
	names map[string]bool
	mat   *MatrixWriter // the matrix being streamed, if any
	err   error         // first error; sticks
}

// NewWriter starts an archive on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{zw: zip.NewWriter(w), names: map[string]bool{}}
}

// entry starts the archive member name+".npy".
func (z *Writer) entry(name string, method uint16) (io.Writer, error) {
	if z.err != nil {
		return nil, z.err
	}
	if err := z.finishMatrix(); err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, "/\\") || z.names[name] {
		return nil, z.fail(fmt.Errorf("%w: npz array name %q is empty, has a slash or is taken", ErrMisuse, name))
	}
	z.names[name] = true
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: method})
	if err != nil {
		return nil, z.fail(err)
	}
	return w, nil
}

func (z *Writer) fail(err error) error {
	if z.err == nil {
		z.err = fmt.Errorf("write npz: %w", err)
	}
	return z.err
}

// Strings writes a 1-D array of fixed-width unicode strings (dtype '<U{n}',
// n the longest value in characters, UTF-32LE). Invalid UTF-8 bytes become
// U+FFFD.
func (z *Writer) Strings(name string, values []string) error {
	width := 1
	for _, s := range values {
		width = max(width, utf8.RuneCountInString(s))
	}
	w, err := z.entry(name, zip.Deflate)
	if err != nil {
		return err
	}
	if _, err := w.Write(EncodeHeader(fmt.Sprintf("<U%d", width), len(values))); err != nil {
		return z.fail(err)
	}
	buf := make([]byte, 4*width)
	for _, s := range values {
		clear(buf)
		i := 0
		for _, r := range s {
			binary.LittleEndian.PutUint32(buf[4*i:], uint32(r))
			i++
		}
		if _, err := w.Write(buf); err != nil {
			return z.fail(err)
		}
	}
	return nil
}

// Int32s writes a 1-D array of int32 (dtype '<i4').
func (z *Writer) Int32s(name string, values []int32) error {
	w, err := z.entry(name, zip.Deflate)
	if err != nil {
		return err
	}
	buf := EncodeHeader("<i4", len(values))
	for _, v := range values {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(v))
	}
	if _, err := w.Write(buf); err != nil {
		return z.fail(err)
	}
	return nil
}

// Float32s starts a 2-D float32 array (dtype '<f4', C order) of the given
// shape, whose rows the returned MatrixWriter takes one at a time. Exactly
// rows rows must be written before the next array or Close.
func (z *Writer) Float32s(name string, rows, cols int) (*MatrixWriter, error) {
	if rows < 0 || cols < 0 {
		return nil, z.fail(fmt.Errorf("%w: matrix shape (%d, %d)", ErrMisuse, rows, cols))
	}
	w, err := z.entry(name, zip.Store)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(EncodeHeader("<f4", rows, cols)); err != nil {
		return nil, z.fail(err)
	}
	z.mat = &MatrixWriter{z: z, w: w, name: name, rows: rows, cols: cols, buf: make([]byte, 4*cols)}
	return z.mat, nil
}

// MatrixWriter streams the rows of one float32 array of a Writer.
type MatrixWriter struct {
	z          *Writer
	w          io.Writer
	name       string
	rows, cols int
	done       int
	buf        []byte
}

// WriteRow appends one row of exactly cols values.
func (m *MatrixWriter) WriteRow(row []float32) error {
	if m.z.err != nil {
		return m.z.err
	}
	if m.z.mat != m {
		return m.z.fail(fmt.Errorf("%w: array %q is already finished", ErrMisuse, m.name))
	}
	if len(row) != m.cols {
		return m.z.fail(fmt.Errorf("%w: array %q: row of %d values, want %d", ErrMisuse, m.name, len(row), m.cols))
	}
	if m.done == m.rows {
		return m.z.fail(fmt.Errorf("%w: array %q: more than %d rows", ErrMisuse, m.name, m.rows))
	}
	if _, err := m.w.Write(appendFloats(m.buf[:0], row)); err != nil {
		return m.z.fail(err)
	}
	m.done++
	return nil
}

func (z *Writer) finishMatrix() error {
	m := z.mat
	if m == nil {
		return nil
	}
	z.mat = nil
	if m.done != m.rows {
		return z.fail(fmt.Errorf("%w: array %q has %d of its %d rows", ErrMisuse, m.name, m.done, m.rows))
	}
	return nil
}

// Close finishes the archive (it does not close the underlying writer).
func (z *Writer) Close() error {
	if z.err != nil {
		return z.err
	}
	if err := z.finishMatrix(); err != nil {
		return err
	}
	if err := z.zw.Close(); err != nil {
		return z.fail(err)
	}
	return nil
}

// appendFloats appends v as little-endian float32s.
func appendFloats(dst []byte, v []float32) []byte {
	for _, f := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}
