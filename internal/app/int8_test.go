package app

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// fixtureWeights is the tiny VGG16 test weights file (1 MB), the one file
// these tests read from another package's testdata.
const fixtureWeights = "../../embed/vgg/testdata/vgg16_w32_zip.pth"

// writeJPEGs writes n small distinct JPEGs named img<i>.jpg into dir.
func writeJPEGs(t *testing.T, dir string, n, seed int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		im := image.NewRGBA(image.Rect(0, 0, 96, 80))
		for y := range 80 {
			for x := range 96 {
				k := i + seed
				im.Set(x, y, color.RGBA{uint8(x*(k+1) + y), uint8(y * (k + 3)), uint8((x ^ y) * (k + 2)), 255})
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, im, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "img"+string(rune('a'+i))+".jpg"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// int8Models lists the int8 model files in the model cache under cache.
func int8Models(t *testing.T, cache string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(cache, "vecimg", "models", "vgg16-fc6-*-int8-*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInt8StoreModelRebuilt: an int8 ingest records its quantisation in the
// manifest; with an empty model cache, a query image rebuilds the store's
// int8 model from the weights and the recorded ranges, byte for byte; later
// ingests keep the model, and calibration or another precision is refused.
func TestInt8StoreModelRebuilt(t *testing.T) {
	testfix.NeedRuntime(t) // before the cache moves
	ctx := context.Background()
	dir := t.TempDir()
	imgs, more := filepath.Join(dir, "imgs"), filepath.Join(dir, "more")
	writeJPEGs(t, imgs, 6, 0)
	writeJPEGs(t, more, 2, 10)
	db := filepath.Join(dir, "v.db")
	cache1 := filepath.Join(dir, "cache1")
	t.Setenv("XDG_CACHE_HOME", cache1)
	cfg := Config{DB: db, LateWrite: true, Session: types.SessionOptions{Device: "cpu", Threads: 1}}

	a, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	weights, _ := filepath.Abs(fixtureWeights)
	if _, err := a.Ingest(ctx, IngestOptions{Dir: imgs, Model: ModelOptions{Weights: weights, Precision: "int8", Calibrate: 4}}); err != nil {
		t.Fatal(err)
	}
	man, _, _ := mustManifest(t, a)
	q := man.Spec.Quant
	if man.Spec.Precision != "int8" || q == nil || len(q.Ranges) != 14 || q.Images != 4 || len(q.Digest) != 64 || q.Rule == "" || (q.WeightBits != 8 && q.WeightBits != 7) {
		t.Fatalf("manifest spec %+v, quant %+v", man.Spec, q)
	}
	built := int8Models(t, cache1)
	if len(built) != 1 {
		t.Fatalf("int8 models in the cache: %v", built)
	}
	orig, err := os.ReadFile(built[0])
	if err != nil {
		t.Fatal(err)
	}
	// Calibrating again or mixing precisions is refused before any work.
	if _, err := a.Ingest(ctx, IngestOptions{Dir: more, Model: ModelOptions{Calibrate: 3}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ingest --calibrate into an int8 store: %v, want ErrInvalid", err)
	}
	if _, err := a.Ingest(ctx, IngestOptions{Dir: more, Model: ModelOptions{Precision: "fp32"}}); !errors.Is(err, store.ErrManifestMismatch) {
		t.Errorf("fp32 ingest into an int8 store: %v, want a manifest mismatch", err)
	}
	a.Close()

	// Another machine: an empty model cache. The query rebuilds the model.
	cache2 := filepath.Join(dir, "cache2")
	t.Setenv("XDG_CACHE_HOME", cache2)
	a, err = Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := a.Similar(ctx, SimilarOptions{Query: filepath.Join(more, "imga.jpg"), K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != 3 {
		t.Errorf("%d neighbours", len(res.Results))
	}
	rebuilt := int8Models(t, cache2)
	if len(rebuilt) != 1 || filepath.Base(rebuilt[0]) != filepath.Base(built[0]) {
		t.Fatalf("rebuilt %v, built %v", rebuilt, built)
	}
	again, err := os.ReadFile(rebuilt[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(orig, again) {
		t.Errorf("the rebuilt int8 model differs from the one the store was made with (%d and %d bytes)", len(orig), len(again))
	}
	// A later ingest runs the same model: the manifest check passes.
	if _, err := a.Ingest(ctx, IngestOptions{Dir: more}); err != nil {
		t.Fatalf("second ingest into the int8 store: %v", err)
	}
	man2, _, _ := mustManifest(t, a)
	if man2.Model != man.Model {
		t.Errorf("model fingerprint moved: %s → %s", man.Model, man2.Model)
	}
}

func mustManifest(t *testing.T, a *App) (store.Manifest, bool, error) {
	t.Helper()
	st, err := a.Store()
	if err != nil {
		t.Fatal(err)
	}
	m, ok, err := st.Manifest()
	if err != nil || !ok {
		t.Fatalf("manifest: %v %v", ok, err)
	}
	return m, ok, err
}

// TestInt8Hint: the line comes only after a CPU fp32 VGG16 ingest of over
// 100 images, and only where int8 was measured on this kind of CPU; it
// carries the measured figures.
func TestInt8Hint(t *testing.T) {
	fp32 := store.ModelSpec{Kind: store.ModelVGG16, Precision: "fp32"}
	for name, h := range map[string]*Int8Hint{
		"100 images": int8Hint("cpu", fp32, 100),
		"cuda":       int8Hint("cuda", fp32, 500),
		"int8":       int8Hint("cpu", store.ModelSpec{Kind: store.ModelVGG16, Precision: "int8"}, 500),
		"onnx":       int8Hint("cpu", store.ModelSpec{Kind: store.ModelONNX}, 500),
	} {
		if h != nil {
			t.Errorf("%s: hint %+v", name, h)
		}
	}
	h := int8Hint("cpu", fp32, 101)
	m, ok := embed.Int8Measured(embed.DetectCPU().Kind)
	switch {
	case !ok && h != nil:
		t.Errorf("hint on a CPU kind never measured: %+v", h)
	case ok && (h == nil || h.Speedup != m.Speedup || h.CosineMin != m.CosineMin || h.Where == ""):
		t.Errorf("hint %+v does not give the measurement %+v", h, m)
	}
}
