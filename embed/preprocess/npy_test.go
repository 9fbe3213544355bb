package preprocess

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// npyArray is a C-ordered array read from a .npy file (uint8 or float32).
type npyArray struct {
	shape []int
	u8    []uint8
	f32   []float32
}

var npyShapeRE = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
var npyDescrRE = regexp.MustCompile(`'descr':\s*'([^']*)'`)

// readNpy reads the subset of the .npy format numpy.save writes for plain
// uint8 and little-endian float32 arrays.
func readNpy(path string) (*npyArray, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		return nil, fmt.Errorf("%s: not a .npy file", path)
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		return nil, fmt.Errorf("%s: npy version %d", path, b[6])
	}
	if off+hlen > len(b) {
		return nil, fmt.Errorf("%s: short header", path)
	}
	hdr := string(b[off : off+hlen])
	data := b[off+hlen:]
	if strings.Contains(hdr, "'fortran_order': True") {
		return nil, fmt.Errorf("%s: fortran order", path)
	}
	m := npyShapeRE.FindStringSubmatch(hdr)
	d := npyDescrRE.FindStringSubmatch(hdr)
	if m == nil || d == nil {
		return nil, fmt.Errorf("%s: cannot parse header %q", path, hdr)
	}
	a := &npyArray{}
	n := 1
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: shape %q", path, m[1])
		}
		a.shape = append(a.shape, v)
		n *= v
	}
	switch d[1] {
	case "|u1", "<u1":
		if len(data) != n {
			return nil, fmt.Errorf("%s: %d bytes of data, want %d", path, len(data), n)
		}
		a.u8 = data
	case "<f4":
		if len(data) != 4*n {
			return nil, fmt.Errorf("%s: %d bytes of data, want %d", path, len(data), 4*n)
		}
		a.f32 = make([]float32, n)
		for i := range a.f32 {
			a.f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	default:
		return nil, fmt.Errorf("%s: dtype %s not supported", path, d[1])
	}
	return a, nil
}

// writeNpyU8 writes a C-ordered uint8 array as .npy (format version 1.0).
func writeNpyU8(path string, data []uint8, shape ...int) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	hdr := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%s,), }", strings.Join(dims, ", "))
	pad := 64 - (10+len(hdr)+1)%64
	hdr += strings.Repeat(" ", pad%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(data)
	return os.WriteFile(path, b.Bytes(), 0o644)
}
