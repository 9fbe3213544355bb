package embed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/embed/internal/fixture"
)

type e2eMeta struct {
	Weights string   `json:"weights"`
	Images  []string `json:"images"`
	Presets map[string]struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	} `json:"presets"`
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	out, err := fixture.ReadF32(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGoldenEndToEnd checks image file → fc6 vector against what PyTorch
// computed with the recipe's transforms on the same tiny weights
// (scripts/make_e2e_goldens.py), for both .pth formats and both presets.
// Every input, the JPEG included (embed/preprocess decodes baseline JPEGs
// with libjpeg's integer IDCT and upsampling, as cv2 does), must match to 1e-4
// max relative error.
func TestGoldenEndToEnd(t *testing.T) {
	rt := testRuntime(t)
	var meta e2eMeta
	b, err := os.ReadFile("testdata/e2e.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, format := range []string{"legacy", "zip"} {
		weights := filepath.Join("vgg", "testdata", "vgg16_w32_"+format+".pth")
		for preset, g := range meta.Presets {
			t.Run(format+"/"+preset, func(t *testing.T) {
				prep, err := NewPreparer(preset, 0)
				if err != nil {
					t.Fatal(err)
				}
				sess := cpuSession(t, rt, ModelSpec{Weights: weights, Size: prep.Size(), CacheDir: cache})
				want := readF32(t, filepath.Join("testdata", g.File))
				dim := g.Shape[1]
				if sess.Dim() != dim {
					t.Fatalf("model dim %d, golden %d", sess.Dim(), dim)
				}
				for i, name := range meta.Images {
					got, err := EmbedFile(sess, prep, filepath.Join("..", "testdata", "images", name))
					if err != nil {
						t.Fatal(err)
					}
					w := want[i*dim : (i+1)*dim]
					rel, cos := fixture.MaxRelErr(got, w), fixture.Cosine(got, w)
					t.Logf("%s: max rel err %.2e, cosine %.8f", name, rel, cos)
					if !(rel <= 1e-4) {
						t.Errorf("%s: max relative error %.3g > 1e-4 (cosine %.6f)", name, rel, cos)
					}
				}
			})
		}
	}
}

// TestBatchEqualsSingle: batching must not change a vector.
func TestBatchEqualsSingle(t *testing.T) {
	rt := testRuntime(t)
	prep, _ := NewPreparer("blitz", 0)
	sess := cpuSession(t, rt, ModelSpec{Weights: "vgg/testdata/vgg16_w32_zip.pth", Size: prep.Size(), CacheDir: t.TempDir()})
	names := []string{"1.png", "2.png", "3.png"}
	per := 3 * prep.Size() * prep.Size()
	in := make([]float32, len(names)*per)
	var singles [][]float32
	for i, n := range names {
		data, _ := os.ReadFile(filepath.Join("..", "testdata", "images", n))
		if _, _, err := prep.DecodeFill(in[i*per:(i+1)*per], n, data); err != nil {
			t.Fatal(err)
		}
		v, err := sess.Run(in[i*per:(i+1)*per], 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		singles = append(singles, append([]float32(nil), v...))
	}
	out, err := sess.Run(in, len(names), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := sess.Dim()
	for i := range names {
		if rel := fixture.MaxRelErr(out[i*d:(i+1)*d], singles[i]); !(rel <= 1e-5) {
			t.Errorf("%s: batch vs single max rel err %.3g", names[i], rel)
		}
	}
}
