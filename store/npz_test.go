package store

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// npyArray is an .npy file parsed back: enough of the format to check what
// numpy.load will see.
type npyArray struct {
	descr string
	shape []int
	data  []byte
}

var npyDict = regexp.MustCompile(`^\{'descr': '([<|][a-zA-Z]\d+)', 'fortran_order': False, 'shape': \(((?:\d+, )*\d*,?)\), \} *\n$`)

func parseNPY(t *testing.T, b []byte) npyArray {
	t.Helper()
	if len(b) < 10 || string(b[:8]) != "\x93NUMPY\x01\x00" {
		t.Fatalf("bad npy magic %q", b[:min(10, len(b))])
	}
	hlen := int(binary.LittleEndian.Uint16(b[8:10]))
	if (10+hlen)%64 != 0 {
		t.Errorf("data starts at %d, not a multiple of 64", 10+hlen)
	}
	m := npyDict.FindStringSubmatch(string(b[10 : 10+hlen]))
	if m == nil {
		t.Fatalf("header %q is not what numpy writes", b[10:10+hlen])
	}
	a := npyArray{descr: m[1], data: b[10+hlen:]}
	for _, f := range strings.Split(strings.Trim(m[2], ", "), ", ") {
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(f, ","))
		if err != nil {
			t.Fatal(err)
		}
		a.shape = append(a.shape, n)
	}
	return a
}

func readNPZ(t *testing.T, b []byte) map[string]npyArray {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]npyArray{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err) // includes the CRC check
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = parseNPY(t, data)
	}
	return out
}

func (a npyArray) strings(t *testing.T) []string {
	width, err := strconv.Atoi(a.descr[2:])
	if err != nil || a.descr[:2] != "<U" || len(a.shape) != 1 || len(a.data) != 4*width*a.shape[0] {
		t.Fatalf("not a string array: %s %v, %d bytes", a.descr, a.shape, len(a.data))
	}
	var out []string
	for i := range a.shape[0] {
		var rs []rune
		for j := range width {
			if r := rune(binary.LittleEndian.Uint32(a.data[4*(i*width+j):])); r != 0 {
				rs = append(rs, r)
			}
		}
		out = append(out, string(rs))
	}
	return out
}

func (a npyArray) float32s(t *testing.T) [][]float32 {
	if a.descr != "<f4" || len(a.shape) != 2 || len(a.data) != 4*a.shape[0]*a.shape[1] {
		t.Fatalf("not a float32 matrix: %s %v, %d bytes", a.descr, a.shape, len(a.data))
	}
	rows := make([][]float32, a.shape[0])
	for i := range rows {
		rows[i] = make([]float32, a.shape[1])
		for j := range rows[i] {
			rows[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(a.data[4*(i*a.shape[1]+j):]))
		}
	}
	return rows
}

func (a npyArray) int32s(t *testing.T) []int32 {
	if a.descr != "<i4" || len(a.shape) != 1 || len(a.data) != 4*a.shape[0] {
		t.Fatalf("not an int32 array: %s %v, %d bytes", a.descr, a.shape, len(a.data))
	}
	out := make([]int32, a.shape[0])
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(a.data[4*i:]))
	}
	return out
}

func TestExportNPZ(t *testing.T) {
	s := openTestStore(t)
	recs := testRecords(5, 1, testDim)
	recs[2].ID = "sub/ünïcode-id"
	mustPut(t, s, recs)
	want := slices.Clone(recs)
	slices.SortFunc(want, func(a, b Record) int { return strings.Compare(a.ID, b.ID) })

	var buf bytes.Buffer
	info, err := s.ExportNPZ(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if info != (ExportInfo{Records: 5, Dim: testDim}) {
		t.Errorf("info %+v", info)
	}
	arrs := readNPZ(t, buf.Bytes())
	if _, ok := arrs["labels"]; ok || len(arrs) != 2 {
		t.Errorf("arrays %v; labels must be left out of an unclustered store", slices.Collect(maps.Keys(arrs)))
	}
	ids := arrs["ids"].strings(t)
	vecs := arrs["vectors"].float32s(t)
	if arrs["ids"].descr != fmt.Sprintf("<U%d", len([]rune("sub/ünïcode-id"))) {
		t.Errorf("ids dtype %s", arrs["ids"].descr)
	}
	for i, r := range want {
		if ids[i] != r.ID || !slices.Equal(vecs[i], r.Vector) {
			t.Errorf("row %d: %q, want %q (vectors equal: %v)", i, ids[i], r.ID, slices.Equal(vecs[i], r.Vector))
		}
	}

	if err := setTestLabels(s, []LabelUpdate{{ID: want[1].ID, Label: 4}, {ID: want[3].ID, Label: 0}}); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if info, err = s.ExportNPZ(context.Background(), &buf); err != nil || !info.Labels {
		t.Fatalf("ExportNPZ = %+v, %v", info, err)
	}
	labels := readNPZ(t, buf.Bytes())["labels"].int32s(t)
	if !slices.Equal(labels, []int32{-1, 4, -1, 0, -1}) {
		t.Errorf("labels %v", labels)
	}
}

func TestExportEmptyStore(t *testing.T) {
	s := openTestStore(t)
	var buf bytes.Buffer
	info, err := s.ExportNPZ(context.Background(), &buf)
	if err != nil || info.Records != 0 {
		t.Fatalf("ExportNPZ = %+v, %v", info, err)
	}
	arrs := readNPZ(t, buf.Bytes())
	if a := arrs["vectors"]; !slices.Equal(a.shape, []int{0, testDim}) {
		t.Errorf("vectors shape %v", a.shape)
	}
	if a := arrs["ids"]; !slices.Equal(a.shape, []int{0}) || a.descr != "<U1" {
		t.Errorf("ids %s %v", a.descr, a.shape)
	}
}
