package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// TestONNXStoreNewImage: a store made with --model my.onnx --preset blitz
// answers a new image with that model (found where it was), asks for it by
// name when it moved, takes it back with --model, and refuses another file.
func TestONNXStoreNewImage(t *testing.T) {
	testfix.NeedRuntime(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	onnx := filepath.Join(dir, "my.onnx")
	o := mustRun(t, "model", "build", "--weights", testWeights, "--out", onnx, "--size", "448")
	if !strings.HasPrefix(o, "wrote "+onnx+": input ") || !strings.Contains(o, "[N,3,448,448] → output") || !strings.Contains(o, "[N,128], fp32,") {
		t.Fatalf("model build: %s", o)
	}
	imgs := filepath.Join(dir, "imgs")
	for _, n := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		testfix.CopyFile(t, filepath.Join("testdata", "images", n), filepath.Join(imgs, n))
	}
	db := filepath.Join(dir, "v.db")
	mustRun(t, "--db", db, "ingest", "-q", "--model", onnx, "--preset", "blitz", imgs)
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	abs, _ := filepath.Abs(onnx)
	if s := info.ModelSpec; s == nil || s.Kind != store.ModelONNX || s.File != abs || len(s.SHA256) != 64 || s.Preset != "blitz" || s.InputSize != 448 {
		t.Fatalf("spec of an ONNX store: %+v", info.ModelSpec)
	}
	q := filepath.Join(dir, "q", "new.png")
	testfix.CopyFile(t, filepath.Join(imgs, "2.png"), q)
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "1", q))
	if out.Results[0].ID != "2" || out.Results[0].Distance > 1e-4 {
		t.Fatalf("new image, recorded model: %+v", out)
	}
	moved := filepath.Join(dir, "moved.onnx")
	if err := os.Rename(onnx, moved); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "--db", db, "similar", q)
	if !errors.Is(err, app.ErrNoModel) || !strings.Contains(err.Error(), abs) || !strings.Contains(err.Error(), "--model /path/to/my.onnx") {
		t.Fatalf("moved model: %v", err)
	}
	out = decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", q, "--model", moved, "--json", "-k", "1"))
	if out.Results[0].ID != "2" {
		t.Fatalf("--model moved.onnx: %+v", out)
	}
	other := filepath.Join(dir, "other.onnx")
	mustRun(t, "model", "build", "--weights", testWeights, "--out", other, "--size", "224")
	if _, err := run(t, "--db", db, "similar", q, "--model", other); !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "other.onnx has sha256") {
		t.Fatalf("--model other.onnx: %v", err)
	}
	// Ingest more with the recorded model and no flags: found by the spec.
	testfix.CopyFile(t, filepath.Join(imgs, "1.png"), filepath.Join(imgs, "more", "5.png"))
	if _, err := run(t, "--db", db, "ingest", imgs); !errors.Is(err, app.ErrNoModel) {
		t.Fatalf("ingest with the model moved: %v", err)
	}
	st := decodeJSON[app.IngestResult](t, mustRun(t, "--db", db, "ingest", "--json", imgs, "--model", moved))
	if st.Stored+st.Copied != 1 || st.Present != 4 {
		t.Fatalf("second ingest: %+v", st.IngestStats)
	}
}

// TestPrecisionStoreAfterCacheCleared: a store made with --precision fp16
// still embeds a new image once the model cache is gone: the graph is
// rebuilt from the weights file the store recorded, at the recorded
// precision (it used to look for the published VGG16 weights at fp32).
func TestPrecisionStoreAfterCacheCleared(t *testing.T) {
	testfix.NeedRuntime(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("VECIMG_WEIGHTS", "")
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.pth")
	testfix.CopyFile(t, testWeights, weights)
	imgs := filepath.Join(dir, "imgs")
	for _, n := range []string{"1.png", "2.png", "3.png"} {
		testfix.CopyFile(t, filepath.Join("testdata", "images", n), filepath.Join(imgs, n))
	}
	db := filepath.Join(dir, "v.db")
	mustRun(t, "--db", db, "ingest", "-q", "--weights", weights, "--precision", "fp16", imgs)
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if s := info.ModelSpec; s == nil || s.Kind != store.ModelVGG16 || s.Precision != "fp16" || s.File != weights {
		t.Fatalf("spec: %+v", info.ModelSpec)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the cache is cleared
	q := filepath.Join(dir, "q", "new.png")
	testfix.CopyFile(t, filepath.Join(imgs, "3.png"), q)
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "1", "--no-download", q))
	if out.Results[0].ID != "3" || out.Results[0].Distance > 1e-3 {
		t.Fatalf("after the cache was cleared: %+v", out)
	}
	// With the weights gone too, the error names the file to pass.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	os.Remove(weights)
	_, err := run(t, "--db", db, "similar", q)
	if !errors.Is(err, app.ErrNoModel) || !strings.Contains(err.Error(), weights) || !strings.Contains(err.Error(), "--weights /path/to/w.pth") {
		t.Fatalf("weights gone: %v", err)
	}
}
