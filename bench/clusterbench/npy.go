package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/vecimg/vecimg/internal/npz"
)

// writeF32 writes an n×d float32 matrix stored row-major in x.
func writeF32(path string, x []float32, shape ...int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(npz.EncodeHeader("<f4", shape...)); err != nil {
		f.Close()
		return err
	}
	b := make([]byte, 4)
	for _, v := range x {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v))
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeI32 writes a vector of int32.
func writeI32(path string, x []int32) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if _, err := w.Write(npz.EncodeHeader("<i4", len(x))); err != nil {
		f.Close()
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, x); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// npyMatrix describes an N×D float32 .npy file on disk.
type npyMatrix struct {
	path   string
	n, d   int
	offset int64
}

func openNpyMatrix(path string) (*npyMatrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := npz.ReadHeader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if h.Fortran {
		return nil, fmt.Errorf("%s: npy array must be C order", path)
	}
	if h.Descr != "<f4" || len(h.Shape) != 2 {
		return nil, fmt.Errorf("%s: need a 2-D little-endian float32 array, got %s %v", path, h.Descr, h.Shape)
	}
	return &npyMatrix{path: path, n: h.Shape[0], d: h.Shape[1], offset: h.DataOffset}, nil
}

// rows calls fn for each row in order; v is reused between calls.
func (m *npyMatrix) rows(fn func(i int, v []float32) error) error {
	f, err := os.Open(m.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(m.offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	raw := make([]byte, 4*m.d)
	v := make([]float32, m.d)
	for i := range m.n {
		if _, err := io.ReadFull(r, raw); err != nil {
			return fmt.Errorf("%s row %d: %w", m.path, i, err)
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
