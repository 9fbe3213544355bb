package vgg

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/x448/float16"
)

// nativeLittleEndian is true on the machines vecimg targets (amd64, arm64).
// There a []float32 already is the little-endian byte string that .pth
// storages and ONNX raw_data hold, so weights are read into and serialised
// from their own memory without a conversion pass or a second copy.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// float32Bytes views f's memory as bytes (no copy). Only meaningful as
// little-endian data when nativeLittleEndian.
func float32Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

// rawFloat32 returns f as little-endian bytes: a view of f where the host is
// little-endian, an encoded copy elsewhere.
func rawFloat32(f []float32) []byte {
	if nativeLittleEndian {
		return float32Bytes(f)
	}
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// rawFloat16 rounds f to IEEE half precision (round to nearest even, as
// PyTorch's .half() does) and returns the little-endian bytes.
func rawFloat16(f []float32) []byte {
	b := make([]byte, 2*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint16(b[2*i:], float16.Fromfloat32(v).Bits())
	}
	return b
}
