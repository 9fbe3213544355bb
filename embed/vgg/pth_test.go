package vgg

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixturePath(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readBytes(b []byte, name string) (*Weights, error) {
	return ReadPTH(bytes.NewReader(b), int64(len(b)), name)
}

// openFixture indexes a fixture without reading its tensors, so that tests
// can alter the state_dict before weights() checks it.
func openFixture(t *testing.T, name string) *pthFile {
	t.Helper()
	b := readFixture(t, name)
	p, err := openPTH(bytes.NewReader(b), int64(len(b)), name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err error, sentinel error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q does not wrap %v", err, sentinel)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestLoadPTHMissingFile(t *testing.T) {
	_, err := LoadPTH(fixturePath("no-such.pth"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want os.ErrNotExist", err)
	}
}

func TestReadPTHNotPTH(t *testing.T) {
	var emptyZip bytes.Buffer
	zw := zip.NewWriter(&emptyZip)
	f, _ := zw.Create("model/weights.bin")
	f.Write([]byte("not a pickle"))
	zw.Close()
	tar := make([]byte, 1024)
	copy(tar[257:], "ustar")
	for name, data := range map[string][]byte{
		"empty":           nil,
		"text":            []byte("features.0.weight = [1, 2, 3]\n"),
		"zip without pkl": emptyZip.Bytes(),
		"tar":             tar,
		"plain pickle":    {0x80, 0x02, 'K', 0x07, '.'},
		"png":             {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readBytes(data, "x.pth")
			wantErr(t, err, ErrNotPTH, "x.pth")
		})
	}
}

func TestReadPTHTruncated(t *testing.T) {
	for _, name := range []string{"vgg16_w32_legacy.pth", "vgg16_w32_zip.pth"} {
		b := readFixture(t, name)
		for _, n := range []int{3, 100, 1000, 4700, len(b) / 2, len(b) - 5000, len(b) - 1} {
			_, err := readBytes(b[:n], name)
			if err == nil {
				t.Errorf("%s cut to %d bytes: no error", name, n)
				continue
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotPTH) {
				t.Errorf("%s cut to %d bytes: %v is neither ErrCorrupt nor ErrNotPTH", name, n, err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("%s cut to %d bytes: error %q does not name the file", name, n, err)
			}
		}
	}
}

func TestReadPTHZipCRC(t *testing.T) {
	b := readFixture(t, "vgg16_w32_zip.pth")
	p := openFixture(t, "vgg16_w32_zip.pth")
	sd, _ := p.stateDict()
	ref, err := p.tensor(sd, "features.10.weight")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(b)
	bad[ref.st.off+17] ^= 0x40
	_, err = readBytes(bad, "flipped.pth")
	wantErr(t, err, ErrCorrupt, "flipped.pth", "features.10.weight", "CRC")
}

func TestReadPTHLegacyStorageHeader(t *testing.T) {
	b := readFixture(t, "vgg16_w32_legacy.pth")
	p := openFixture(t, "vgg16_w32_legacy.pth")
	sd, _ := p.stateDict()
	ref, err := p.tensor(sd, "features.0.weight")
	if err != nil {
		t.Fatal(err)
	}
	// A hostile element count must be refused, not allocated.
	bad := bytes.Clone(b)
	binary.LittleEndian.PutUint64(bad[ref.st.off-8:], 1<<60)
	_, err = readBytes(bad, "count.pth")
	wantErr(t, err, ErrCorrupt, "count.pth", "elements")
}

func TestReadPTHHugeStringLength(t *testing.T) {
	b := readFixture(t, "vgg16_w32_legacy.pth")
	i := bytes.Index(b, []byte("X\x10\x00\x00\x00protocol_version"))
	if i < 0 {
		t.Fatal("fixture has no protocol_version string")
	}
	for n, want := range map[uint32]string{0xfffffff0: "too long", 10 << 20: "past the end"} {
		bad := bytes.Clone(b)
		binary.LittleEndian.PutUint32(bad[i+1:], n)
		_, err := readBytes(bad, "len.pth")
		wantErr(t, err, ErrCorrupt, "len.pth", want)
	}
}

func TestWeightsMissingKey(t *testing.T) {
	for _, key := range []string{"features.14.bias", "classifier.0.weight"} {
		p := openFixture(t, "vgg16_w32_zip.pth")
		sd, _ := p.stateDict()
		delete(sd.index, key)
		_, err := p.weights()
		wantErr(t, err, ErrWeights, "vgg16_w32_zip.pth", `missing key "`+key+`"`)
	}
}

func TestWeightsNotATensor(t *testing.T) {
	p := openFixture(t, "vgg16_w32_zip.pth")
	sd, _ := p.stateDict()
	sd.vals[sd.index["features.0.bias"]] = int64(3)
	_, err := p.weights()
	wantErr(t, err, ErrWeights, `"features.0.bias" is 3, not a tensor`)
}

func TestWeightsBadShapes(t *testing.T) {
	cases := []struct {
		key   string
		shape []int64
		want  string
	}{
		{"features.0.weight", []int64{2, 3, 3}, "expected rank 4"},
		{"features.0.weight", []int64{2, 1, 3, 3}, "the 3 image channels"},
		{"features.5.weight", []int64{4, 3, 3, 3}, "output channels of features.2"},
		{"features.7.weight", []int64{4, 4, 1, 9}, "3×3 kernel"},
		{"features.7.bias", []int64{5}, "expected [4]"},
		{"classifier.0.weight", []int64{128, 700}, "expected [out, 784]"},
		{"classifier.0.weight", []int64{128 * 784}, "expected rank 2"},
		{"classifier.0.bias", []int64{127}, "expected [128]"},
	}
	for _, c := range cases {
		p := openFixture(t, "vgg16_w32_legacy.pth")
		sd, _ := p.stateDict()
		v, _ := sd.get(c.key)
		ref := *v.(*tensorRef)
		ref.shape = c.shape
		sd.vals[sd.index[c.key]] = &ref
		_, err := p.weights()
		wantErr(t, err, ErrWeights, "vgg16_w32_legacy.pth", c.key, c.want)
	}
}

func TestWeightsNonContiguous(t *testing.T) {
	p := openFixture(t, "vgg16_w32_zip.pth")
	sd, _ := p.stateDict()
	v, _ := sd.get("classifier.0.weight")
	ref := *v.(*tensorRef)
	ref.stride = []int64{1, ref.shape[0]} // a transposed view
	sd.vals[sd.index["classifier.0.weight"]] = &ref
	_, err := p.weights()
	wantErr(t, err, ErrWeights, "not contiguous")
}

func TestWeightsIntegerTensor(t *testing.T) {
	p := openFixture(t, "vgg16_w32_zip.pth")
	sd, _ := p.stateDict()
	v, _ := sd.get("features.0.bias")
	ref := *v.(*tensorRef)
	st := *ref.st
	st.dt = storageTypes["IntStorage"]
	ref.st = &st
	sd.vals[sd.index["features.0.bias"]] = &ref
	_, err := p.weights()
	wantErr(t, err, ErrWeights, "IntStorage", "floating point")
}

// DataParallel checkpoints prefix keys with "module."; training scripts
// often nest the state_dict under "state_dict".
func TestWeightsNestedAndPrefixed(t *testing.T) {
	want, err := LoadPTH(fixturePath("vgg16_w32_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	p := openFixture(t, "vgg16_w32_zip.pth")
	sd, _ := p.stateDict()
	prefixed := newDict()
	for i, k := range sd.keys {
		prefixed.set("module."+k.(string), sd.vals[i])
	}
	outer := newDict()
	outer.set("epoch", int64(90))
	outer.set("state_dict", prefixed)
	p.root = outer
	got, err := p.weights()
	if err != nil {
		t.Fatal(err)
	}
	a, b := tensorsByKey(want), tensorsByKey(got)
	for k := range a {
		if !equalF32(a[k], b[k]) {
			t.Errorf("%s differs", k)
		}
	}
}

func TestWeightsWholeModelPickled(t *testing.T) {
	p := openFixture(t, "vgg16_w32_zip.pth")
	p.root = &pyObject{class: pyGlobal{"torchvision.models.vgg", "VGG"}}
	_, err := p.weights()
	wantErr(t, err, ErrWeights, "torchvision.models.vgg.VGG", "state_dict()")
}

func TestDecodeFloats(t *testing.T) {
	// 1.5 and -2 in each storage type torch may use for float weights.
	cases := map[string][]byte{
		"FloatStorage":    {0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0},
		"HalfStorage":     {0x00, 0x3e, 0x00, 0xc0},
		"BFloat16Storage": {0xc0, 0x3f, 0x00, 0xc0},
		"DoubleStorage":   {0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0},
	}
	for name, b := range cases {
		dst := make([]float32, 2)
		if err := decodeFloats(dst, bytes.NewReader(b), storageTypes[name]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if dst[0] != 1.5 || dst[1] != -2 {
			t.Errorf("%s: got %v, want [1.5 -2]", name, dst)
		}
	}
}

// rezip rewrites the zip fixture with Go's zip writer, every record with
// the given method.
func rezip(t *testing.T, method uint16) []byte {
	t.Helper()
	b := readFixture(t, "vgg16_w32_zip.pth")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestReadPTHOtherZipWriter(t *testing.T) {
	want, err := LoadPTH(fixturePath("vgg16_w32_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := readBytes(rezip(t, zip.Store), "rezipped.pth")
	if err != nil {
		t.Fatal(err)
	}
	a, b := tensorsByKey(want), tensorsByKey(got)
	for k := range a {
		if !equalF32(a[k], b[k]) {
			t.Errorf("%s differs after rezipping", k)
		}
	}
	_, err = readBytes(rezip(t, zip.Deflate), "deflated.pth")
	wantErr(t, err, ErrCorrupt, "deflated.pth", "compressed")
}
