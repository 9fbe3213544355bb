package preprocess

import (
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// diffStats compares two packed 3-channel images sample by sample.
type diffStats struct {
	n, differing int
	sumAbs       int64
	maxAbs       int
}

func (d *diffStats) add(a, b []uint8) {
	for i := range a {
		v := int(a[i]) - int(b[i])
		if v < 0 {
			v = -v
		}
		d.n++
		if v != 0 {
			d.differing++
			d.sumAbs += int64(v)
			d.maxAbs = max(d.maxAbs, v)
		}
	}
}

func (d diffStats) String() string {
	if d.n == 0 {
		return "no samples"
	}
	return fmt.Sprintf("mean abs %.4f, max %d, %.3f%% of samples differ", float64(d.sumAbs)/float64(d.n), d.maxAbs, 100*float64(d.differing)/float64(d.n))
}

// nearestBGR converts like Go's own image/jpeg At(): replicated chroma and
// Go's YCbCr→RGB; the "before" of the libjpeg-style conversion.
func nearestBGR(img image.Image) *BGR {
	b := img.Bounds()
	out := NewBGR(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			i := out.PixOffset(x-b.Min.X, y-b.Min.Y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(bb>>8), uint8(g>>8), uint8(r>>8)
		}
	}
	return out
}

// goFallback lists the fixtures our JPEG decoder leaves to image/jpeg, whose
// IDCT rounds some samples differently from libjpeg's.
var goFallback = map[string]bool{"rgb.jpg": true}

// TestPixelsMatchCV2 decodes the odd-but-valid fixtures (orientation,
// 16-bit, gray, palette, alpha, CMYK, every chroma subsampling, tiny sizes)
// and compares the result with cv2.imread's array for the same file.
// All must match exactly, except JPEGs that fall back to Go's image/jpeg
// (goFallback), which are allowed the IDCT's rounding.
func TestPixelsMatchCV2(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "pixels", "*.cv2.npy"))
	if err != nil || len(files) < 30 {
		t.Fatalf("pixel fixtures missing (%d found, %v); run scripts/make_preprocess_goldens.py", len(files), err)
	}
	for _, npy := range files {
		src := strings.TrimSuffix(npy, ".cv2.npy")
		name := filepath.Base(src)
		want, err := readNpy(npy)
		if err != nil {
			t.Fatal(err)
		}
		img, info, err := Load(src, Limits{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := ToBGR(img)
		if len(want.shape) != 3 || want.shape[0] != info.Height || want.shape[1] != info.Width {
			t.Errorf("%s: decoded %d×%d (orientation %d), cv2 shape %v", name, info.Width, info.Height, info.Orientation, want.shape)
			continue
		}
		var d diffStats
		d.add(got.Pix, want.u8)
		switch {
		case !goFallback[name] && d.differing > 0:
			t.Errorf("%s: differs from cv2: %v", name, d)
		case goFallback[name] && (d.maxAbs > 2 || float64(d.sumAbs)/float64(d.n) > 0.05):
			t.Errorf("%s: too far from cv2: %v", name, d)
		default:
			t.Logf("%-18s %-4s %3d×%-3d orient %d: %v", name, info.Format, info.Width, info.Height, info.Orientation, d)
		}
	}
}

// stdlibJPEG decodes with Go's image/jpeg alone.
func stdlibJPEG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestJPEGStepsImprove shows what each step buys on the committed 4:2:0
// JPEG: Go's image/jpeg with its own colour conversion (nearest chroma),
// image/jpeg's planes with libjpeg-style upsampling and colour tables, and
// our decoder (libjpeg's integer IDCT) with the same.
func TestJPEGStepsImprove(t *testing.T) {
	path := filepath.Join("testdata", "pixels", "sub420.jpg")
	want, err := readNpy(path + ".cv2.npy")
	if err != nil {
		t.Fatal(err)
	}
	std := stdlibJPEG(t, path)
	ours, _, err := Load(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var goOwn, fancy, exact diffStats
	goOwn.add(nearestBGR(std).Pix, want.u8)
	fancy.add(ToBGR(std).Pix, want.u8)
	exact.add(ToBGR(ours).Pix, want.u8)
	t.Logf("image/jpeg + Go colour:       %v", goOwn)
	t.Logf("image/jpeg + libjpeg colour:  %v", fancy)
	t.Logf("our decoder + libjpeg colour: %v", exact)
	if fancy.sumAbs*4 > goOwn.sumAbs {
		t.Errorf("fancy upsampling should cut the mean error at least 4×: %v → %v", goOwn, fancy)
	}
	if exact.differing != 0 {
		t.Errorf("our decoder differs from cv2: %v", exact)
	}
}

// TestRegionMatchesFull: converting a window (what Fill does for a centre
// crop) gives exactly the pixels of converting the whole image, for every
// pixel layout and windows at every parity and edge.
func TestRegionMatchesFull(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"sub420.jpg", "sub422.jpg", "sub440.jpg", "sub444.jpg", "sub411.jpg", "tiny6x7.jpg",
		"gray.jpg", "cmyk.jpg", "rgb.jpg", "palette.png", "rgba.png", "rgb16.png", "gray16.png", "gray.png", "anim.gif", "orient6.jpg"}
	var cv converter
	for _, name := range names {
		img, _, err := Load(filepath.Join("testdata", "pixels", name), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		full := ToBGR(img)
		b := img.Bounds()
		for range 200 {
			x0, x1 := rng.IntN(b.Dx()), rng.IntN(b.Dx())+1
			y0, y1 := rng.IntN(b.Dy()), rng.IntN(b.Dy())+1
			if x0 >= x1 || y0 >= y1 {
				continue
			}
			r := image.Rect(x0, y0, x1, y1)
			got := make([]uint8, 3*r.Dx()*r.Dy())
			cv.region(got, 3*r.Dx(), img, r.Add(b.Min))
			for y := y0; y < y1; y++ {
				want := full.Pix[full.PixOffset(x0, y):][:3*r.Dx()]
				if row := got[(y-y0)*3*r.Dx():][:3*r.Dx()]; string(row) != string(want) {
					t.Fatalf("%s (%T): window %v row %d differs from the full conversion", name, img, r, y)
				}
			}
		}
	}
}
