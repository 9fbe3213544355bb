package npz

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Member names the reader needs.
const (
	IDsName     = "ids.npy"
	VectorsName = "vectors.npy"
)

// Reader streams the rows of an .npz archive: ids[i] with vectors[i].
type Reader struct {
	path  string
	zr    *zip.ReadCloser
	n     int
	dim   int
	ids   *array
	vecs  *array
	row   int
	idBuf []byte
	vbuf  []byte
	v     []float32
}

// array is one open .npy member positioned at its data.
type array struct {
	name  string
	rc    io.ReadCloser
	r     *bufio.Reader
	hdr   Header
	bytes int64 // data bytes the shape calls for
}

// Open opens path and reads the headers of ids.npy and vectors.npy; it
// checks their dtypes, shapes and order. Rows are then read with Next.
func Open(path string) (*Reader, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable .npz (zip) archive: %v", path, err)
	}
	r := &Reader{path: path, zr: zr}
	fail := func(err error) (*Reader, error) {
		r.Close()
		return nil, err
	}
	var idf, vf *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case IDsName:
			idf = f
		case VectorsName:
			vf = f
		}
	}
	if idf == nil || vf == nil {
		var names []string
		for _, f := range zr.File {
			names = append(names, strings.TrimSuffix(f.Name, ".npy"))
		}
		return fail(fmt.Errorf("%s: needs the arrays ids and vectors, found %q", path, names))
	}
	if r.ids, err = openArray(path, idf); err != nil {
		return fail(err)
	}
	if r.vecs, err = openArray(path, vf); err != nil {
		return fail(err)
	}
	ih, vh := r.ids.hdr, r.vecs.hdr
	switch {
	case ih.Kind != 'U' && ih.Kind != 'S':
		return fail(fmt.Errorf("%s: ids has dtype %q; it must hold strings (numpy '<U' or '|S')", path, ih.Descr))
	case len(ih.Shape) != 1:
		return fail(fmt.Errorf("%s: ids has shape %v; it must be 1-D", path, ih.Shape))
	case vh.Kind != 'f' || vh.Size != 4:
		return fail(fmt.Errorf("%s: vectors has dtype %q; it must be float32 (vectors.astype(np.float32))", path, vh.Descr))
	case len(vh.Shape) != 2:
		return fail(fmt.Errorf("%s: vectors has shape %v; it must be 2-D (rows × dimension)", path, vh.Shape))
	case ih.Shape[0] != vh.Shape[0]:
		return fail(fmt.Errorf("%s: %d ids but %d vector rows; there must be one id per row", path, ih.Shape[0], vh.Shape[0]))
	case vh.Shape[1] < 1 || vh.Shape[1] > 1<<20:
		return fail(fmt.Errorf("%s: vectors have dimension %d, not in 1..%d", path, vh.Shape[1], 1<<20))
	}
	for _, a := range []*array{r.ids, r.vecs} {
		if a.hdr.Fortran && len(a.hdr.Shape) > 1 {
			return fail(fmt.Errorf("%s: %s is in Fortran order; save np.ascontiguousarray(%s)", path, strings.TrimSuffix(a.name, ".npy"), strings.TrimSuffix(a.name, ".npy")))
		}
	}
	r.n, r.dim = ih.Shape[0], vh.Shape[1]
	r.ids.bytes = int64(r.n) * int64(ih.Size)
	r.vecs.bytes = int64(r.n) * int64(r.dim) * 4
	r.idBuf = make([]byte, ih.Size)
	r.vbuf = make([]byte, 4*r.dim)
	r.v = make([]float32, r.dim)
	return r, nil
}

// Len is the number of rows.
func (r *Reader) Len() int { return r.n }

// Dim is the vector length.
func (r *Reader) Dim() int { return r.dim }

// Next returns the next row, or io.EOF after the last (once both members
// were read to their end and their checksums matched). v is reused by the
// next call.
func (r *Reader) Next() (id string, v []float32, err error) {
	if r.row == r.n {
		if err := r.finish(); err != nil {
			return "", nil, err
		}
		return "", nil, io.EOF
	}
	if _, err := io.ReadFull(r.ids.r, r.idBuf); err != nil {
		return "", nil, r.readErr(r.ids, err)
	}
	if _, err := io.ReadFull(r.vecs.r, r.vbuf); err != nil {
		return "", nil, r.readErr(r.vecs, err)
	}
	if id, err = decodeString(r.ids.hdr, r.idBuf); err != nil {
		return "", nil, fmt.Errorf("%s: ids row %d: %v", r.path, r.row, err)
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if r.vecs.hdr.BigEndian {
		order = binary.BigEndian
	}
	for j := range r.v {
		r.v[j] = math.Float32frombits(order.Uint32(r.vbuf[4*j:]))
	}
	r.row++
	return id, r.v, nil
}

// finish reads both members to their end: nothing may follow the data, and
// the zip reader checks the CRC at EOF.
func (r *Reader) finish() error {
	for _, a := range []*array{r.ids, r.vecs} {
		var one [1]byte
		n, err := io.ReadFull(a.r, one[:])
		switch {
		case n > 0:
			return fmt.Errorf("%s: %s holds more data than its shape %v says", r.path, a.name, a.hdr.Shape)
		case errors.Is(err, io.EOF):
		default:
			return r.readErr(a, err)
		}
	}
	return nil
}

func (r *Reader) readErr(a *array, err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s: %s ends at row %d of %d: the file is truncated", r.path, a.name, r.row, r.n)
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("%s: %s fails its CRC check: the file is damaged", r.path, a.name)
	}
	return fmt.Errorf("%s: reading %s at row %d: %v", r.path, a.name, r.row, err)
}

// Close releases the file.
func (r *Reader) Close() error {
	for _, a := range []*array{r.ids, r.vecs} {
		if a != nil {
			a.rc.Close()
		}
	}
	if r.zr != nil {
		err := r.zr.Close()
		r.zr = nil
		return err
	}
	return nil
}

func openArray(path string, f *zip.File) (*array, error) {
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return nil, fmt.Errorf("%s: %s uses zip method %d; only stored and deflate members are read", path, f.Name, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: opening %s: %v", path, f.Name, err)
	}
	a := &array{name: f.Name, rc: rc, r: bufio.NewReaderSize(rc, 1<<20)}
	if a.hdr, err = ReadHeader(a.r); err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: %s: %v", path, f.Name, err)
	}
	return a, nil
}
