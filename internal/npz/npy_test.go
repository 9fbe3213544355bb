package npz

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// numpyDict is the header dictionary as numpy.save writes it.
var numpyDict = regexp.MustCompile(`^\{'descr': '([<|][a-zA-Z]\d+)', 'fortran_order': False, 'shape': \(((?:\d+, )*\d*,?)\), \} *\n$`)

func TestEncodeHeader(t *testing.T) {
	for _, shape := range [][]int{{0}, {5}, {300, 4096}, {0, 3}, {123456789, 1}} {
		h := EncodeHeader("<f4", shape...)
		if len(h)%64 != 0 || h[len(h)-1] != '\n' {
			t.Errorf("header for %v is %d bytes", shape, len(h))
		}
		if string(h[:8]) != "\x93NUMPY\x01\x00" {
			t.Fatalf("bad npy magic %q", h[:10])
		}
		if !numpyDict.MatchString(string(h[10:])) {
			t.Fatalf("header %q is not what numpy writes", h[10:])
		}
		got, err := ReadHeader(bytes.NewReader(h))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Shape, shape) || got.Descr != "<f4" || got.Fortran || got.DataOffset != int64(len(h)) {
			t.Errorf("shape %v parsed back as %+v", shape, got)
		}
	}
	if got := string(EncodeHeader("<i4", 7)[10:]); !strings.HasPrefix(got, "{'descr': '<i4', 'fortran_order': False, 'shape': (7,), }") {
		t.Errorf("1-D header %q", got)
	}
}
