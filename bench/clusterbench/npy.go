package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// npyHeader is the parsed header of a version 1/2/3 .npy file holding a
// little-endian, C-order array.
type npyHeader struct {
	descr  string
	shape  []int
	offset int64 // byte offset of the data
}

var (
	descrRe = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	orderRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRe = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

func readNpyHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return h, fmt.Errorf("reading npy magic: %w", err)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return h, fmt.Errorf("not a .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, err
		}
		hlen, h.offset = int(binary.LittleEndian.Uint16(b)), 10
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, err
		}
		hlen, h.offset = int(binary.LittleEndian.Uint32(b)), 12
	default:
		return h, fmt.Errorf("unsupported npy version %d", pre[6])
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return h, fmt.Errorf("reading npy header: %w", err)
	}
	h.offset += int64(hlen)
	s := string(hb)
	m := descrRe.FindStringSubmatch(s)
	if m == nil {
		return h, fmt.Errorf("npy header without descr: %s", s)
	}
	h.descr = m[1]
	if o := orderRe.FindStringSubmatch(s); o == nil || o[1] != "False" {
		return h, fmt.Errorf("npy array must be C order: %s", s)
	}
	sh := shapeRe.FindStringSubmatch(s)
	if sh == nil {
		return h, fmt.Errorf("npy header without shape: %s", s)
	}
	for _, p := range strings.Split(sh[1], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return h, fmt.Errorf("npy shape %q: %w", sh[1], err)
		}
		h.shape = append(h.shape, v)
	}
	return h, nil
}

func writeNpyHeader(w io.Writer, descr string, shape []int) error {
	dims := make([]string, len(shape))
	for i, v := range shape {
		dims[i] = strconv.Itoa(v)
	}
	sh := strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, sh)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	hdr := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(hdr[8:], uint16(len(dict)))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := io.WriteString(w, dict)
	return err
}

// writeF32 writes an n×d float32 matrix stored row-major in x.
func writeF32(path string, x []float32, shape ...int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := writeNpyHeader(w, "<f4", shape); err != nil {
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
	if err := writeNpyHeader(w, "<i4", []int{len(x)}); err != nil {
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
	h, err := readNpyHeader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if h.descr != "<f4" || len(h.shape) != 2 {
		return nil, fmt.Errorf("%s: need a 2-D little-endian float32 array, got %s %v", path, h.descr, h.shape)
	}
	return &npyMatrix{path: path, n: h.shape[0], d: h.shape[1], offset: h.offset}, nil
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
