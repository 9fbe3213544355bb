package preprocess

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// loop runs f b.N times and also reports the process CPU time per run
// ("cpu-ms/op"): on a shared machine, wall time per op grows with other
// processes' load, CPU time much less so.
func loop(b *testing.B, f func()) {
	b.Helper()
	b.ReportAllocs()
	start := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if cpu := processCPU() - start; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(n), "cpu-ms/op")
	}
}

// devSetDir is the shared dev set, when this checkout sits beside it.
var devSetDir = filepath.Join("..", "..", "..", "shared", "data", "dev-set", "test")

// benchImages: the committed 4:2:0 JPEG, plus the dev set's median-sized
// (736×538) and largest (1072×1029) photos when present.
func benchImages(b *testing.B) map[string][]byte {
	b.Helper()
	out := map[string][]byte{}
	paths := map[string]string{
		"4.jpg-600x520": filepath.Join("testdata", "images", "4.jpg"),
		"dev-736x538":   filepath.Join(devSetDir, "900.jpg"),
		"dev-1072x1029": filepath.Join(devSetDir, "1453.jpg"),
	}
	for name, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		out[name] = data
	}
	if len(out) == 0 {
		b.Skip("no images")
	}
	return out
}

// BenchmarkDecodeJPEG compares our decoder (libjpeg-exact) with image/jpeg.
func BenchmarkDecodeJPEG(b *testing.B) {
	for name, data := range benchImages(b) {
		b.Run("ours/"+name, func(b *testing.B) {
			loop(b, func() {
				if _, _, err := Decode(data, name, Limits{}); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("image-jpeg/"+name, func(b *testing.B) {
			loop(b, func() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkFill times the preprocessing of an already decoded image: colour
// conversion of the needed window, crop, PIL-exact resize, tensor write.
func BenchmarkFill(b *testing.B) {
	for name, data := range benchImages(b) {
		img, _, err := Decode(data, name, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range []Preset{Blitz(), ImageNet()} {
			b.Run(p.Name+"/"+name, func(b *testing.B) {
				pp, err := New(p)
				if err != nil {
					b.Fatal(err)
				}
				dst := make([]float32, p.TensorLen())
				loop(b, func() {
					if err := pp.Fill(dst, img); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkResize512to448 is the blitz resize alone.
func BenchmarkResize512to448(b *testing.B) {
	src := make([]uint8, 3*512*512)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	dst := make([]uint8, 3*448*448)
	var rs resampler
	loop(b, func() {
		rs.resize(dst, src, 512, 512, 448, 448, 0, 0, 448, 448)
	})
}

// BenchmarkLoadFill is the whole per-image path a worker runs, from file
// bytes to the blitz tensor: Decode then Fill, and DecodeFill (which skips
// the IDCT outside the crop window).
func BenchmarkLoadFill(b *testing.B) {
	for name, data := range benchImages(b) {
		p := Blitz()
		pp, _ := New(p)
		dst := make([]float32, p.TensorLen())
		b.Run("decode+fill/"+name, func(b *testing.B) {
			loop(b, func() {
				img, _, err := Decode(data, name, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				if err := pp.Fill(dst, img); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("decodefill/"+name, func(b *testing.B) {
			loop(b, func() {
				if _, err := pp.DecodeFill(dst, data, name, Limits{}); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

var _ image.Image = (*BGR)(nil)
