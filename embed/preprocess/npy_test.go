package preprocess

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/vecimg/vecimg/internal/npz"
)

// npyArray is a C-ordered array read from a .npy file (uint8 or float32).
type npyArray struct {
	shape []int
	u8    []uint8
	f32   []float32
}

// readNpy reads a plain uint8 or little-endian float32 array as numpy.save
// writes it.
func readNpy(path string) (*npyArray, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h, err := npz.ReadHeader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if h.Fortran {
		return nil, fmt.Errorf("%s: fortran order", path)
	}
	data := b[h.DataOffset:]
	a := &npyArray{shape: h.Shape}
	n := 1
	for _, v := range h.Shape {
		n *= v
	}
	switch h.Descr {
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
		return nil, fmt.Errorf("%s: dtype %s not supported", path, h.Descr)
	}
	return a, nil
}

// writeNpyU8 writes a C-ordered uint8 array as .npy (format version 1.0).
func writeNpyU8(path string, data []uint8, shape ...int) error {
	return os.WriteFile(path, append(npz.EncodeHeader("|u1", shape...), data...), 0o644)
}
