package embed

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/embed/vgg"
)

const fixtureWeights = "vgg/testdata/vgg16_w32_zip.pth"

func TestPrepareModelPrecisions(t *testing.T) {
	cache := t.TempDir()
	seen := map[string]string{}
	for _, prec := range []string{"", vgg.PrecisionFP32, vgg.PrecisionFP16, vgg.PrecisionMixed} {
		m, err := PrepareModel(context.Background(), ModelSpec{Weights: fixtureWeights, Size: 64, Precision: prec, CacheDir: cache})
		if err != nil {
			t.Fatalf("precision %q: %v", prec, err)
		}
		want := prec
		if want == "" {
			want = vgg.PrecisionFP32
		}
		if m.Precision != want || !strings.HasSuffix(m.Fingerprint, ":"+want) {
			t.Errorf("precision %q: model precision %q, fingerprint %s", prec, m.Precision, m.Fingerprint)
		}
		if _, err := os.Stat(m.Path); err != nil {
			t.Error(err)
		}
		if other, ok := seen[m.Fingerprint]; ok && other != want {
			t.Errorf("%s and %s share fingerprint %s", other, want, m.Fingerprint)
		}
		seen[m.Fingerprint] = want
	}
	if len(seen) != 3 {
		t.Errorf("%d distinct fingerprints for fp32, fp16 and mixed", len(seen))
	}
	_, err := PrepareModel(context.Background(), ModelSpec{Weights: fixtureWeights, Size: 64, Precision: "int4", CacheDir: cache})
	if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), vgg.PrecisionMixed) {
		t.Errorf("precision int4: error %v, want ErrModel listing %q", err, vgg.PrecisionMixed)
	}
	_, err = PrepareModel(context.Background(), ModelSpec{Weights: fixtureWeights, Size: 64, Precision: vgg.PrecisionInt8, CacheDir: cache})
	if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "calibration") {
		t.Errorf("precision int8 without ranges: error %v, want ErrModel asking for calibration", err)
	}
}

func TestBuildModelFilePrecisions(t *testing.T) {
	dir := t.TempDir()
	for _, prec := range []string{"", vgg.PrecisionMixed} {
		out := filepath.Join(dir, "m"+prec+".onnx")
		m, err := BuildModelFile(fixtureWeights, out, 64, prec, nil)
		if err != nil {
			t.Fatalf("precision %q: %v", prec, err)
		}
		want := prec
		if want == "" {
			want = vgg.PrecisionFP32
		}
		if m.Precision != want || m.Dim <= 0 {
			t.Errorf("precision %q: model %+v", prec, m)
		}
		if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
			t.Errorf("precision %q: %s not written: %v", prec, out, err)
		}
	}
	out := filepath.Join(dir, "bad.onnx")
	if _, err := BuildModelFile(fixtureWeights, out, 64, "bf16", nil); !errors.Is(err, ErrModel) {
		t.Errorf("precision bf16: error %v, want ErrModel", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a model was written for a rejected precision: %v", err)
	}
}
