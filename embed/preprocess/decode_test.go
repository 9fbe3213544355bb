package preprocess

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadFiles(t *testing.T) {
	for _, c := range []struct {
		file   string
		kind   error
		reason string // expected prefix of the one-line reason
	}{
		{"empty.jpg", ErrEmpty, "empty file"},
		{"truncated.jpg", ErrTruncated, "truncated JPEG"},
		{"header_only.jpg", ErrTruncated, "truncated JPEG"},
		{"text.jpg", ErrNotImage, "not an image (looks like text)"},
		{"arithmetic.jpg", ErrUnsupported, "unsupported JPEG: arithmetic coding"},
		{"page.png", ErrNotImage, "not an image (looks like HTML)"},
		{"bomb.png", ErrTooLarge, "too large: 100000×100000 = 10000 MP > 100 MP limit"},
		{"bomb.jpg", ErrTooLarge, "too large: 65000×65000 = 4225 MP > 100 MP limit"},
		{"bomb.gif", ErrTooLarge, "too large: 65535×65535 = 4295 MP > 100 MP limit"},
	} {
		path := filepath.Join("testdata", "bad", c.file)
		img, _, err := Load(path, Limits{})
		if err == nil {
			t.Errorf("%s: decoded (%v), want an error", c.file, img.Bounds())
			continue
		}
		var bad *BadImageError
		if !errors.As(err, &bad) {
			t.Errorf("%s: error %T %v, want *BadImageError", c.file, err, err)
			continue
		}
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: kind %v, want %v (%v)", c.file, bad.Kind, c.kind, err)
		}
		if bad.Path != path || !strings.HasPrefix(bad.Reason, c.reason) {
			t.Errorf("%s: got %q, want path %q and reason starting %q", c.file, err.Error(), path, c.reason)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%s: error is not one line: %q", c.file, err.Error())
		}
		t.Logf("%v", err)
	}
}

func TestBadInputsInMemory(t *testing.T) {
	gif, err := os.ReadFile(filepath.Join("testdata", "pixels", "anim.gif"))
	if err != nil {
		t.Fatal(err)
	}
	pngData := encodePNG(t, image.NewGray(image.Rect(0, 0, 40, 30)))
	for _, c := range []struct {
		name   string
		data   []byte
		kind   error
		reason string
	}{
		{"heic", append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 40)...), ErrUnsupported, "unsupported format (HEIC)"},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00\x00\x00"), ErrUnsupported, "unsupported format (TIFF)"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), ErrUnsupported, "unsupported format (WebP)"},
		{"pdf", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"), ErrNotImage, "not an image (a PDF document)"},
		{"binary", []byte{0x01, 0x02, 0x03, 0x00, 0xfe}, ErrNotImage, "not an image (unrecognised content, starts with 01 02 03 00)"},
		{"svg", []byte("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), ErrUnsupported, "unsupported format (SVG)"},
		{"truncated-gif", gif[:len(gif)/2], ErrTruncated, "truncated GIF"},
		{"truncated-png", pngData[:len(pngData)-30], ErrTruncated, "truncated PNG"},
		{"png-bad-crc", corruptAt(pngData, 40), ErrCorrupt, "corrupt PNG"},
		{"jpeg-soi-only", []byte{0xff, 0xd8, 0xff}, ErrTruncated, "truncated JPEG"},
	} {
		_, _, err := Decode(c.data, c.name, Limits{})
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: %v, want kind %v", c.name, err, c.kind)
			continue
		}
		if got := err.(*BadImageError).Reason; !strings.HasPrefix(got, c.reason) {
			t.Errorf("%s: reason %q, want prefix %q", c.name, got, c.reason)
		}
	}
}

func TestLimits(t *testing.T) {
	data := encodePNG(t, image.NewGray(image.Rect(0, 0, 200, 100))) // 20000 px
	if _, _, err := Decode(data, "a.png", Limits{MaxPixels: 19_999}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxPixels 19999: %v, want ErrTooLarge", err)
	} else if want := "a.png: too large: 200×100 = 0.02 MP > 0.02 MP limit"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if _, info, err := Decode(data, "a.png", Limits{MaxPixels: 20_000}); err != nil || info.Width != 200 || info.Height != 100 {
		t.Errorf("MaxPixels 20000: %v %+v", err, info)
	}
	if _, _, err := Decode(data, "a.png", Limits{MaxPixels: -1}); err != nil {
		t.Errorf("no pixel limit: %v", err)
	}
	if _, _, err := Decode(data, "a.png", Limits{MaxFileBytes: int64(len(data) - 1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxFileBytes: %v, want ErrTooLarge", err)
	}
	if _, _, err := DecodeReader(bytes.NewReader(data), "a.png", Limits{MaxFileBytes: int64(len(data) - 1)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeReader MaxFileBytes: %v, want ErrTooLarge", err)
	}
	if _, _, err := DecodeReader(bytes.NewReader(data), "a.png", Limits{}); err != nil {
		t.Errorf("DecodeReader: %v", err)
	}
}

func TestUnreadable(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(filepath.Join(dir, "missing.jpg"), Limits{}); !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := Load(dir, Limits{}); !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if os.Geteuid() != 0 { // root reads anything
		p := filepath.Join(dir, "locked.png")
		if err := os.WriteFile(p, encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2))), 0o000); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(p, Limits{}); !errors.Is(err, ErrUnreadable) {
			t.Errorf("unreadable file: %v", err)
		}
	}
}

// A decoder panic is recovered and reported, never propagated.
func TestDecoderPanicIsRecovered(t *testing.T) {
	image.RegisterFormat("panicky", "PANIC!", func(r io.Reader) (image.Image, error) { panic("boom in decode") },
		func(r io.Reader) (image.Config, error) { return image.Config{Width: 1, Height: 1}, nil })
	_, _, err := Decode([]byte("PANIC!......"), "p.img", Limits{})
	if !errors.Is(err, ErrDecoderPanic) || !strings.Contains(err.Error(), "boom in decode") {
		t.Fatalf("got %v, want a recovered panic", err)
	}
	t.Log(err)
}

func TestExifOrientationParsing(t *testing.T) {
	for o := 1; o <= 8; o++ {
		for _, ext := range []string{"jpg", "png"} {
			data, err := os.ReadFile(filepath.Join("testdata", "pixels", "orient"+string(rune('0'+o))+"."+ext))
			if err != nil {
				t.Fatal(err)
			}
			format := map[string]string{"jpg": "jpeg", "png": "png"}[ext]
			if got := orientationOf(format, data); got != o {
				t.Errorf("orient%d.%s: orientation %d", o, ext, got)
			}
		}
	}
	// Malformed EXIF means "no orientation", not an error or a panic.
	for _, tiff := range [][]byte{nil, []byte("II"), []byte("MM\x00\x2a\xff\xff\xff\xff"), []byte("II\x2a\x00\x08\x00\x00\x00\xff\xff")} {
		if got := tiffOrientation(tiff); got != 1 {
			t.Errorf("tiffOrientation(%q) = %d", tiff, got)
		}
	}
}

func TestBGRImage(t *testing.T) {
	m := NewBGR(image.Rect(2, 3, 5, 7))
	i := m.PixOffset(4, 6)
	m.Pix[i], m.Pix[i+1], m.Pix[i+2] = 10, 20, 30
	if got := m.At(4, 6); got != (color.RGBA{R: 30, G: 20, B: 10, A: 255}) {
		t.Errorf("At = %v", got)
	}
	if got := m.At(0, 0); got != (color.RGBA{}) {
		t.Errorf("At outside = %v", got)
	}
	if b := ToBGR(m); b.Rect != image.Rect(0, 0, 3, 4) || b.Pix[b.PixOffset(2, 3)+2] != 30 {
		t.Errorf("ToBGR: %v", b.Rect)
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func corruptAt(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// A decoder's message keeps its words, not the bytes it quotes, and is cut
// on a character boundary (issue 21).
func TestOneLineDropsQuotedBytes(t *testing.T) {
	for in, want := range map[string]string{
		"can't recognize format \"GIF8\\x1b\\x00\"": "can't recognize format",
		"bad data\nsecond line":                     "bad data",
		"a" + strings.Repeat("é", 70):               "a" + strings.Repeat("é", 59) + "…",
		"bad \xff byte":                             "bad ? byte",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
