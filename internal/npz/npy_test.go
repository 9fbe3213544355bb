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

// A damaged header is described by its size and the position of what is
// wrong, never quoted back (issue 21).
func TestBadHeaderNotQuoted(t *testing.T) {
	for _, dict := range []string{"\x1b[31m\xff\xfe garbage", "{'descr': '<f4', 'shape': (12\x1bxyz,), }", "{'descr': '<f4', \x07}"} {
		body := dict + strings.Repeat(" ", 64-10-len(dict)%54) + "\n"
		h := append([]byte("\x93NUMPY\x01\x00"), byte(len(body)), byte(len(body)>>8))
		_, err := ReadHeader(bytes.NewReader(append(h, body...)))
		if err == nil {
			t.Fatalf("header %q accepted", dict)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "bad .npy header (") || strings.ContainsAny(msg, "\x1b\x07\xff") || strings.Contains(msg, "garbage") || strings.Contains(msg, "xyz") {
			t.Errorf("header %q: %q", dict, msg)
		}
	}
}
