package npz

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
)

// WriteNpy writes data as a little-endian .npy file of the given shape:
// data is a []float32 ('<f4') or an []int32 ('<i4') with as many values
// as the shape holds.
func WriteNpy(path string, data any, shape ...int) error {
	var descr string
	var n int
	switch d := data.(type) {
	case []float32:
		descr, n = "<f4", len(d)
	case []int32:
		descr, n = "<i4", len(d)
	default:
		return fmt.Errorf("%s: cannot write %T as .npy", path, data)
	}
	size := 1
	for _, s := range shape {
		size *= s
	}
	if size != n {
		return fmt.Errorf("%s: %d values for shape %v", path, n, shape)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, err = w.Write(EncodeHeader(descr, shape...))
	if err == nil {
		err = binary.Write(w, binary.LittleEndian, data)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Matrix is an N×D little-endian float32 .npy file on disk (C order),
// read row by row.
type Matrix struct {
	Path   string
	N, D   int
	offset int64
}

// OpenMatrix reads the header of the .npy file at path, which must hold a
// 2-D '<f4' array in C order.
func OpenMatrix(path string) (*Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := ReadHeader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if h.Fortran {
		return nil, fmt.Errorf("%s: npy array must be C order", path)
	}
	if h.Descr != "<f4" || len(h.Shape) != 2 {
		return nil, fmt.Errorf("%s: need a 2-D little-endian float32 array, got %s %v", path, h.Descr, h.Shape)
	}
	return &Matrix{Path: path, N: h.Shape[0], D: h.Shape[1], offset: h.DataOffset}, nil
}

// Rows calls fn for each row in order; v is reused between calls.
func (m *Matrix) Rows(fn func(i int, v []float32) error) error {
	f, err := os.Open(m.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(m.offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	raw := make([]byte, 4*m.D)
	v := make([]float32, m.D)
	for i := range m.N {
		if _, err := io.ReadFull(r, raw); err != nil {
			return fmt.Errorf("%s row %d: %w", m.Path, i, err)
		}
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		if err := fn(i, v); err != nil {
			return err
		}
	}
	return nil
}
