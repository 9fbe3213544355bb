package npz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Header is what an .npy header says.
type Header struct {
	Descr      string // the dtype as numpy writes it: '<f4', '<U12', '|S8', ...
	Kind       byte   // 'f', 'U', 'S', 'O', ...
	Size       int    // bytes per element
	BigEndian  bool
	Fortran    bool
	Shape      []int
	DataOffset int64 // bytes from the start of the .npy to its data
}

const maxHeader = 1 << 20

// EncodeHeader returns the .npy v1.0 preamble for an array in C order:
// magic, version, header length, and a Python dict literal padded with
// spaces and a newline so that the data starts at a multiple of 64 bytes.
func EncodeHeader(descr string, shape ...int) []byte {
	var sh string
	switch len(shape) {
	case 1:
		sh = fmt.Sprintf("(%d,)", shape[0])
	default:
		parts := make([]string, len(shape))
		for i, d := range shape {
			parts[i] = fmt.Sprint(d)
		}
		sh = "(" + strings.Join(parts, ", ") + ")"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh)
	const pre = 10 // magic (6) + version (2) + header length (2)
	pad := (64 - (pre+len(dict)+1)%64) % 64
	hlen := len(dict) + pad + 1
	b := make([]byte, 0, pre+hlen)
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", pad)...)
	return append(b, '\n')
}

// ReadHeader reads the .npy preamble and header dictionary, leaving r at
// the start of the data.
func ReadHeader(r io.Reader) (Header, error) {
	var h Header
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
		h.DataOffset = 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, errors.New("truncated .npy header")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
		h.DataOffset = 12
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
	h.DataOffset += int64(hlen)
	d, err := parseDict(string(buf))
	if err != nil {
		return h, fmt.Errorf("bad .npy header (%d bytes): %v", hlen, err)
	}
	descr, ok := d["descr"].(string)
	if !ok {
		if _, isList := d["descr"].([]any); isList {
			return h, errors.New("is a structured array (record dtype); save plain arrays")
		}
		return h, errors.New("header has no dtype (descr)")
	}
	h.Descr = descr
	if h.Fortran, ok = d["fortran_order"].(bool); !ok {
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
		h.Shape = append(h.Shape, n)
	}
	if len(descr) < 2 {
		return h, fmt.Errorf("unknown dtype %q", descr)
	}
	order, rest := descr[0], descr[1:]
	switch order {
	case '<', '|', '=':
	case '>':
		h.BigEndian = true
	default:
		order, rest = '|', descr
	}
	h.Kind = rest[0]
	if h.Kind == 'O' {
		return h, errors.New("is an object array (pickled Python objects, e.g. ragged rows or mixed types); vecimg never unpickles: save a plain float32 matrix and string array")
	}
	size, err := strconv.Atoi(rest[1:])
	if err != nil || size < 1 || size > 1<<16 {
		return h, fmt.Errorf("unknown dtype %q", descr)
	}
	if h.Kind == 'U' {
		size *= 4 // UTF-32 code units
	}
	h.Size = size
	return h, nil
}

// decodeString decodes one fixed-width string element, dropping trailing NULs.
func decodeString(h Header, b []byte) (string, error) {
	if h.Kind == 'S' {
		s := strings.TrimRight(string(b), "\x00")
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("id %q is not valid UTF-8", s)
		}
		return s, nil
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if h.BigEndian {
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
