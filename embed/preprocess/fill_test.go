package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestFillErrors(t *testing.T) {
	p := Blitz()
	img := image.NewGray(image.Rect(0, 0, 10, 10))
	if err := p.Fill(make([]float32, p.TensorLen()-1), img); !errors.Is(err, ErrTensorSize) {
		t.Errorf("short dst: %v", err)
	}
	if err := p.Fill(make([]float32, p.TensorLen()), image.NewGray(image.Rect(3, 3, 3, 9))); !errors.Is(err, ErrEmptyImage) {
		t.Errorf("empty image: %v", err)
	}
	bad := p
	bad.InputSize = 100
	if err := bad.Fill(make([]float32, bad.TensorLen()), img); err == nil {
		t.Error("inconsistent preset accepted")
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("Lookup(nope): %v", err)
	}
	if p, err := Lookup(""); err != nil || p.Name != DefaultPreset {
		t.Errorf("Lookup(\"\") = %v, %v", p.Name, err)
	}
	for _, n := range Names() {
		p, err := Lookup(n)
		if err != nil || p.Validate() != nil {
			t.Errorf("preset %s: %v %v", n, err, p.Validate())
		}
	}
}

// A sub-image (bounds not at the origin) fills exactly like a copy of it.
func TestFillSubImage(t *testing.T) {
	img, _, err := Load(filepath.Join("testdata", "images", "1.png"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(37, 21, 600, 470))
	cp := ToBGR(sub)
	for _, p := range []Preset{Blitz(), ImageNet()} {
		a, b := make([]float32, p.TensorLen()), make([]float32, p.TensorLen())
		if err := p.Fill(a, sub); err != nil {
			t.Fatal(err)
		}
		if err := p.Fill(b, cp); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a, b) {
			t.Errorf("%s: sub-image and its copy fill differently", p.Name)
		}
	}
}

// Preset.Fill from many goroutines gives the same tensors as one at a time
// (run with -race to check the pooling).
func TestFillConcurrent(t *testing.T) {
	var imgs []image.Image
	for _, n := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		img, _, err := Load(filepath.Join("testdata", "images", n), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	p := Blitz()
	want := make([][]float32, len(imgs))
	for i, img := range imgs {
		want[i] = make([]float32, p.TensorLen())
		if err := p.Fill(want[i], img); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]float32, p.TensorLen())
			for k := range 6 {
				i := (g + k) % len(imgs)
				if err := p.Fill(dst, imgs[i]); err != nil {
					errs <- err
					return
				}
				if !slices.Equal(dst, want[i]) {
					errs <- errors.New("concurrent Fill differs from sequential")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// DecodeFill (which skips the IDCT outside blitz's crop window) gives the
// same tensor as Decode + Fill, for every fixture and for JPEGs written here
// at sizes that put the window at every parity of offset.
func TestDecodeFillEqualsDecodeThenFill(t *testing.T) {
	var files []string
	for _, dir := range []string{"images", "pixels", "region"} {
		m, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
		for _, p := range m {
			if !strings.HasSuffix(p, ".npy") {
				files = append(files, p)
			}
		}
	}
	inputs := map[string][]byte{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(p)] = data
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{700, 600}, {701, 601}, {702, 603}, {1203, 917}, {530, 1100}} {
		img := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
		for i := range img.Pix {
			img.Pix[i] = uint8(i/7%251) ^ uint8(rng.IntN(32))
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		inputs[fmt.Sprintf("go-%dx%d.jpg", size[0], size[1])] = b.Bytes()
	}
	checked := 0
	for name, data := range inputs {
		img, info, err := Decode(data, name, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range []Preset{Blitz(), ImageNet()} {
			want, got := make([]float32, p.TensorLen()), make([]float32, p.TensorLen())
			if err := p.Fill(want, img); err != nil {
				t.Fatal(err)
			}
			info2, err := p.DecodeFill(got, data, name, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info2 != info || !slices.Equal(got, want) {
				t.Errorf("%s %s: DecodeFill differs from Decode+Fill (%+v vs %+v)", name, p.Name, info2, info)
			}
			checked++
		}
	}
	t.Logf("%d image × preset pairs identical", checked)
	if _, err := Blitz().DecodeFill(make([]float32, 10), inputs["4.jpg"], "4.jpg", Limits{}); !errors.Is(err, ErrTensorSize) {
		t.Errorf("short dst: %v", err)
	}
	if _, err := Blitz().DecodeFill(make([]float32, Blitz().TensorLen()), nil, "empty.jpg", Limits{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty data: %v", err)
	}
}
