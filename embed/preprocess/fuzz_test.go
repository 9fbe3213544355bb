package preprocess

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fuzzLimit keeps fuzzed images small enough to decode quickly.
const fuzzLimit = 1 << 20

// allocBudget bounds what decoding may allocate: a generous 64 bytes per
// allowed pixel (planes, progressive coefficients, Go's own buffers), a few
// copies of the input and 1 MiB of fixed overhead. A decompression bomb
// would allocate for the pixels its header claims, far beyond this.
func allocBudget(maxPixels int64, dataLen int) uint64 {
	return uint64(64*maxPixels) + 4*uint64(dataLen) + 1<<20
}

// allocated returns the bytes f allocates (on this goroutine or any other).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func addSeeds(f *testing.F) {
	for _, dir := range []string{"images", "pixels", "bad"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, p := range paths {
			if strings.HasSuffix(p, ".npy") {
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("plain text, not an image\n"))
}

// FuzzDecode: on any bytes, Decode returns an image or a one-line
// *BadImageError, never panics (not even a recovered decoder panic), stays
// within the pixel limit and its memory budget, and whatever it returns can
// be preprocessed.
//
//	go test -run=^$ -fuzz=FuzzDecode$ -fuzzminimizetime=5s ./embed/preprocess/
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxPixels: fuzzLimit}
		var (
			img  image.Image
			info Info
			err  error
		)
		if n := allocated(func() { img, info, err = Decode(data, "fuzz", lim) }); n > allocBudget(fuzzLimit, len(data)) {
			t.Fatalf("Decode allocated %d bytes (budget %d)", n, allocBudget(fuzzLimit, len(data)))
		}
		if err != nil {
			var bad *BadImageError
			if !errors.As(err, &bad) {
				t.Fatalf("error %T %v is not a *BadImageError", err, err)
			}
			if errors.Is(err, ErrDecoderPanic) {
				t.Fatalf("decoder panicked: %v", err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") || bad.Reason == "" {
				t.Fatalf("reason is not one line: %q", err.Error())
			}
			return
		}
		b := img.Bounds()
		if b.Dx() != info.Width || b.Dy() != info.Height || int64(b.Dx())*int64(b.Dy()) > fuzzLimit {
			t.Fatalf("bounds %v, info %+v", b, info)
		}
		for _, p := range []Preset{Blitz(), ImageNet()} {
			if err := p.Fill(make([]float32, p.TensorLen()), img); err != nil {
				t.Fatalf("%s: %v", p.Name, err)
			}
		}
	})
}

// FuzzDecodeJPEG runs our JPEG decoder without the recover() that Decode
// wraps it in, so that a panic (a bug, which Decode would hide by falling
// back to image/jpeg) fails the fuzz run.
//
//	go test -run=^$ -fuzz=FuzzDecodeJPEG -fuzzminimizetime=5s ./embed/preprocess/
func FuzzDecodeJPEG(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, format, err := safeDecodeConfig(data)
		if err != nil || format != "jpeg" || int64(cfg.Width)*int64(cfg.Height) > fuzzLimit {
			return
		}
		var img image.Image
		if n := allocated(func() { img, err = decodeJPEG(data, cfg.Width, cfg.Height, image.Rectangle{}, nil) }); n > allocBudget(fuzzLimit, len(data)) {
			t.Fatalf("decodeJPEG allocated %d bytes", n)
		}
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			t.Fatalf("bounds %v, header %dx%d", b, cfg.Width, cfg.Height)
		}
		ToBGR(img) // the conversion must cope with whatever planes came out
	})
}

// TestBombsAllocateNothing: header-only bombs are refused before any pixel
// memory is allocated.
func TestBombsAllocateNothing(t *testing.T) {
	for _, name := range []string{"bomb.png", "bomb.jpg", "bomb.gif"} {
		data, err := os.ReadFile(filepath.Join("testdata", "bad", name))
		if err != nil {
			t.Fatal(err)
		}
		var derr error
		n := allocated(func() { _, _, derr = Decode(data, name, Limits{}) })
		if !errors.Is(derr, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", name, derr)
		}
		if n > 256<<10 {
			t.Errorf("%s: refusing it allocated %d bytes", name, n)
		}
		t.Logf("%s: refused after allocating %d bytes", name, n)
	}
}
