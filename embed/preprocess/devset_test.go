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
// and is skipped otherwise. With VECIMG_GO_BLITZ_OUT=DIR it also writes our
// blitz uint8 images there (<id>.goblitz.npy), to push both through a model. It reports the pixel differences of Go's own
// JPEG colour conversion (nearest chroma) and of ours (libjpeg-style), and
// of the blitz uint8 image before ToTensor.
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
	var goOwn, ours, blitz diffStats
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
		goOwn.add(nearestBGR(img).Pix, want.u8)
		ours.add(ToBGR(img).Pix, want.u8)
		if err := pp.Fill(tensor, img); err != nil {
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
	t.Logf("decode, Go's own YCbCr conversion: %v", goOwn)
	t.Logf("decode, libjpeg-style conversion:  %v", ours)
	t.Logf("blitz 448×448 uint8 (before /255): %v; worst image %s (mean abs %.4f)", blitz, worstName, worstBlitz)
	if ours.sumAbs >= goOwn.sumAbs {
		t.Errorf("libjpeg-style conversion is not closer to cv2 than Go's own")
	}
	if ours.maxAbs > 8 || float64(ours.sumAbs)/float64(ours.n) > 0.05 {
		t.Errorf("decode too far from cv2: %v", ours)
	}
}
