package npz

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
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
	hdr   header
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
	case ih.kind != 'U' && ih.kind != 'S':
		return fail(fmt.Errorf("%s: ids has dtype %q; it must hold strings (numpy '<U' or '|S')", path, ih.descr))
	case len(ih.shape) != 1:
		return fail(fmt.Errorf("%s: ids has shape %v; it must be 1-D", path, ih.shape))
	case vh.kind != 'f' || vh.size != 4:
		return fail(fmt.Errorf("%s: vectors has dtype %q; it must be float32 (vectors.astype(np.float32))", path, vh.descr))
	case len(vh.shape) != 2:
		return fail(fmt.Errorf("%s: vectors has shape %v; it must be 2-D (rows × dimension)", path, vh.shape))
	case ih.shape[0] != vh.shape[0]:
		return fail(fmt.Errorf("%s: %d ids but %d vector rows; there must be one id per row", path, ih.shape[0], vh.shape[0]))
	case vh.shape[1] < 1 || vh.shape[1] > 1<<20:
		return fail(fmt.Errorf("%s: vectors have dimension %d, not in 1..%d", path, vh.shape[1], 1<<20))
	}
	for _, a := range []*array{r.ids, r.vecs} {
		if a.hdr.fortran && len(a.hdr.shape) > 1 {
			return fail(fmt.Errorf("%s: %s is in Fortran order; save np.ascontiguousarray(%s)", path, strings.TrimSuffix(a.name, ".npy"), strings.TrimSuffix(a.name, ".npy")))
		}
	}
	r.n, r.dim = ih.shape[0], vh.shape[1]
	r.ids.bytes = int64(r.n) * int64(ih.size)
	r.vecs.bytes = int64(r.n) * int64(r.dim) * 4
	r.idBuf = make([]byte, ih.size)
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
	if r.vecs.hdr.bigEndian {
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
			return fmt.Errorf("%s: %s holds more data than its shape %v says", r.path, a.name, a.hdr.shape)
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
	if a.hdr, err = readHeader(a.r); err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: %s: %v", path, f.Name, err)
	}
	return a, nil
}

// header is what an .npy header says.
type header struct {
	descr     string
	kind      byte // 'f', 'U', 'S', 'O', ...
	size      int  // bytes per element
	bigEndian bool
	fortran   bool
	shape     []int
}

const maxHeader = 1 << 20

// readHeader reads the .npy preamble and header dictionary.
func readHeader(r io.Reader) (header, error) {
	var h header
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, errors.New("not an .npy array (truncated header)")
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return h, errors.New("not an .npy array (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, errors.New("truncated .npy header")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, errors.New("truncated .npy header")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return h, fmt.Errorf(".npy format version %d.%d is not known", pre[6], pre[7])
	}
	if hlen > maxHeader {
		return h, fmt.Errorf(".npy header of %d bytes is too long", hlen)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, errors.New("truncated .npy header")
	}
	d, err := parseDict(string(buf))
	if err != nil {
		return h, fmt.Errorf("bad .npy header %q: %v", strings.TrimSpace(string(buf)), err)
	}
	descr, ok := d["descr"].(string)
	if !ok {
		if _, isList := d["descr"].([]any); isList {
			return h, errors.New("is a structured array (record dtype); save plain arrays")
		}
		return h, errors.New("header has no dtype (descr)")
	}
	h.descr = descr
	if h.fortran, ok = d["fortran_order"].(bool); !ok {
		return h, errors.New("header has no fortran_order")
	}
	shape, ok := d["shape"].([]any)
	if !ok {
		return h, errors.New("header has no shape")
	}
	for _, s := range shape {
		n, ok := s.(int)
		if !ok || n < 0 {
			return h, fmt.Errorf("bad shape %v", shape)
		}
		h.shape = append(h.shape, n)
	}
	if len(descr) < 2 {
		return h, fmt.Errorf("unknown dtype %q", descr)
	}
	order, rest := descr[0], descr[1:]
	switch order {
	case '<', '|', '=':
	case '>':
		h.bigEndian = true
	default:
		order, rest = '|', descr
	}
	h.kind = rest[0]
	if h.kind == 'O' {
		return h, errors.New("is an object array (pickled Python objects, e.g. ragged rows or mixed types); vecimg never unpickles: save a plain float32 matrix and string array")
	}
	size, err := strconv.Atoi(rest[1:])
	if err != nil || size < 1 || size > 1<<16 {
		return h, fmt.Errorf("unknown dtype %q", descr)
	}
	if h.kind == 'U' {
		size *= 4 // UTF-32 code units
	}
	h.size = size
	return h, nil
}

// decodeString decodes one fixed-width string element, dropping trailing NULs.
func decodeString(h header, b []byte) (string, error) {
	if h.kind == 'S' {
		s := strings.TrimRight(string(b), "\x00")
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("id %q is not valid UTF-8", s)
		}
		return s, nil
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if h.bigEndian {
		order = binary.BigEndian
	}
	var sb strings.Builder
	end := len(b) / 4
	for end > 0 && order.Uint32(b[4*(end-1):]) == 0 {
		end--
	}
	for i := 0; i < end; i++ {
		c := order.Uint32(b[4*i:])
		if c > utf8.MaxRune || (c >= 0xD800 && c <= 0xDFFF) {
			return "", fmt.Errorf("code point %#x is not valid unicode", c)
		}
		sb.WriteRune(rune(c))
	}
	return sb.String(), nil
}
