package preprocess

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDevSetParity measures, on real photos, how far our decode and the
// blitz preset are from cv2 + torchvision. It needs a dump made by
//
//	/usr/bin/python3 scripts/make_preprocess_goldens.py --cv2-dump DIR --images IMAGES
//	VECIMG_CV2_DUMP=DIR VECIMG_DEVSET=IMAGES go test -run DevSet -v ./embed/preprocess/
//
// and is skipped otherwise. It reports the pixel differences from cv2 of
// Go's image/jpeg with its own colour conversion (nearest chroma), of
// image/jpeg's planes with libjpeg-style upsampling and colour, and of our
// decoder, and those of the blitz uint8 image before ToTensor (made with
// DecodeFill, which decodes only the crop window); it fails
// unless ours are bit-exact. With VECIMG_GO_BLITZ_OUT=DIR it also writes our
// blitz uint8 images there (<id>.goblitz.npy), to push both through a model.
func TestDevSetParity(t *testing.T) {
	dump, images := os.Getenv("VECIMG_CV2_DUMP"), os.Getenv("VECIMG_DEVSET")
	if dump == "" || images == "" {
		t.Skip("set VECIMG_CV2_DUMP and VECIMG_DEVSET (see the comment) to run")
	}
	files, err := filepath.Glob(filepath.Join(dump, "*.cv2.npy"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.cv2.npy in %s", dump)
	}
	pp, err := New(Blitz())
	if err != nil {
		t.Fatal(err)
	}
	tensor := make([]float32, Blitz().TensorLen())
	var goOwn, goFancy, ours, blitz diffStats
	worstBlitz, worstName := 0.0, ""
	for _, f := range files {
		stem := strings.TrimSuffix(filepath.Base(f), ".cv2.npy")
		want, err := readNpy(f)
		if err != nil {
			t.Fatal(err)
		}
		wantBlitz, err := readNpy(filepath.Join(dump, stem+".blitz.npy"))
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := Load(filepath.Join(images, stem+".jpg"), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		std := stdlibJPEG(t, filepath.Join(images, stem+".jpg"))
		goOwn.add(nearestBGR(std).Pix, want.u8)
		goFancy.add(ToBGR(std).Pix, want.u8)
		ours.add(ToBGR(img).Pix, want.u8)
		// The blitz image through DecodeFill (decoding only the crop window).
		data, err := os.ReadFile(filepath.Join(images, stem+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pp.DecodeFill(tensor, data, stem, Limits{}); err != nil {
			t.Fatal(err)
		}
		if out := os.Getenv("VECIMG_GO_BLITZ_OUT"); out != "" {
			if err := writeNpyU8(filepath.Join(out, stem+".goblitz.npy"), pp.out, 448, 448, 3); err != nil {
				t.Fatal(err)
			}
		}
		var one diffStats
		one.add(pp.out, wantBlitz.u8)
		blitz.add(pp.out, wantBlitz.u8)
		if m := float64(one.sumAbs) / float64(one.n); m > worstBlitz {
			worstBlitz, worstName = m, stem
		}
	}
	t.Logf("%d images", len(files))
	t.Logf("decode, image/jpeg + Go colour:       %v", goOwn)
	t.Logf("decode, image/jpeg + libjpeg colour:  %v", goFancy)
	t.Logf("decode, our decoder + libjpeg colour: %v", ours)
	t.Logf("blitz 448×448 uint8 (before /255): %v; worst image %s (mean abs %.4f)", blitz, worstName, worstBlitz)
	if ours.differing != 0 || blitz.differing != 0 {
		t.Errorf("not bit-exact with cv2: decode %v; blitz %v", ours, blitz)
	}
}
