package preprocess

import (
	"image"
	"math"
	"path/filepath"
	"testing"
)

// goldenTensor is the reference float tensor for an image: torchvision's
// per-level values (lut.npy) applied to the golden uint8 image, which the
// generator script checked to equal torchvision's tensor exactly.
func goldenTensor(t *testing.T, name string, p Preset, lut *npyArray) []float32 {
	t.Helper()
	g, _, err := Load(filepath.Join("testdata", "golden", name+"."+p.Name+".png"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	S := p.InputSize
	if b := g.Bounds(); b.Dx() != S || b.Dy() != S {
		t.Fatalf("golden %s is %v, want %d×%d", name, b, S, S)
	}
	// The PNG's R, G, B hold the array's channels 0, 1, 2.
	rgba := toNRGBA(g)
	which := 0
	if p.Normalize {
		which = 1
	}
	out := make([]float32, 3*S*S)
	for c := range 3 {
		table := lut.f32[(which*3+c)*256:][:256]
		for i := range S * S {
			out[c*S*S+i] = table[rgba.Pix[4*i+c]]
		}
	}
	return out
}

func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	bgr := ToBGR(img)
	for i := range b.Dx() * b.Dy() {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = bgr.Pix[3*i+2], bgr.Pix[3*i+1], bgr.Pix[3*i], 255
	}
	return out
}

// maxRelErr is max|a-b| / max|b|.
func maxRelErr(a, b []float32) (rel float64, maxAbs float64, differing int) {
	var maxB float64
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > maxAbs {
			maxAbs = d
		}
		if d != 0 {
			differing++
		}
		maxB = max(maxB, math.Abs(float64(b[i])))
	}
	return maxAbs / maxB, maxAbs, differing
}

func TestLUTMatchesTorchvision(t *testing.T) {
	lut, err := readNpy(filepath.Join("testdata", "golden", "lut.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for which, p := range []Preset{Blitz(), ImageNet()} {
		pp, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		for c := range 3 {
			for v := range 256 {
				want := lut.f32[(which*3+c)*256+v]
				if got := pp.lut[c][v]; got != want {
					t.Fatalf("%s channel %d level %d: %v, torchvision %v", p.Name, c, v, got, want)
				}
			}
		}
	}
}

// TestGoldens compares Fill with the tensors torchvision computed from
// cv2.imread for the committed test images.
func TestGoldens(t *testing.T) {
	lut, err := readNpy(filepath.Join("testdata", "golden", "lut.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		img, info, err := Load(filepath.Join("testdata", "images", name), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []Preset{Blitz(), ImageNet()} {
			want := goldenTensor(t, name, p, lut)
			got := make([]float32, p.TensorLen())
			if err := p.Fill(got, img); err != nil {
				t.Fatal(err)
			}
			rel, abs, n := maxRelErr(got, want)
			t.Logf("%s %dx%d %s: max rel err %.3g, max abs %.3g, %d of %d values differ", name, info.Width, info.Height, p.Name, rel, abs, n, len(got))
			tol := 0.0 // PNG: bit-exact
			if info.Format == "jpeg" {
				tol = 1e-4 * 255 // JPEG: IDCT rounding may move a sample by 1/255 (see TestDevSetParity)
			}
			if rel > tol {
				t.Errorf("%s %s: max relative error %.3g > %.3g", name, p.Name, rel, tol)
			}
		}
	}
}

func TestCropOrigin(t *testing.T) {
	for _, c := range []struct{ n, crop, want int }{
		{640, 512, 64}, {513, 512, 0}, {515, 512, 2}, // (515-512)/2 = 1.5 → 2 (half to even)
		{517, 512, 2}, // 2.5 → 2
		{519, 512, 4}, // 3.5 → 4
		{512, 512, 0}, {301, 512, -105}, {300, 512, -106}, {1, 512, -255},
	} {
		if got := cropOrigin(c.n, c.crop); got != c.want {
			t.Errorf("cropOrigin(%d, %d) = %d, want %d", c.n, c.crop, got, c.want)
		}
	}
}

func TestResizedSize(t *testing.T) {
	for _, c := range []struct{ w, h, s, ww, wh int }{
		{640, 480, 256, 341, 256}, {480, 640, 256, 256, 341}, {256, 256, 256, 256, 256},
		{703, 389, 256, 462, 256}, {301, 417, 256, 256, 354},
	} {
		if w, h := resizedSize(c.w, c.h, c.s); w != c.ww || h != c.wh {
			t.Errorf("resizedSize(%d, %d, %d) = %d×%d, want %d×%d", c.w, c.h, c.s, w, h, c.ww, c.wh)
		}
	}
}
