package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// isolateModels points the model and weights caches at empty folders, so
// that no model or weights file of the machine is found.
func isolateModels(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("TORCH_HOME", t.TempDir())
	t.Setenv(embed.WeightsEnv, "")
}

// modelStores makes one store per kind of model spec, each holding one
// 4-d record, and a weights file whose hash the "vgg16" store records.
func modelStores(t *testing.T) (dir string, dbs map[string]string, weights string) {
	t.Helper()
	dir = t.TempDir()
	weights = filepath.Join(dir, "mine.pth")
	if err := os.WriteFile(weights, []byte("the weights this store was made with"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("the weights this store was made with"))
	specs := map[string]store.ModelSpec{
		"vgg16":    {Kind: store.ModelVGG16, File: weights, SHA256: hex.EncodeToString(sum[:]), InputSize: 448, Precision: "fp32", Preset: "blitz"},
		"onnx":     {Kind: store.ModelONNX, File: filepath.Join(dir, "gone.onnx"), SHA256: strings.Repeat("ab", 32), InputSize: 224, Preset: "blitz"},
		"imported": {Kind: store.ModelImported, Name: "clip", Preset: store.PresetNone},
		"unknown":  {}, // a manifest that does not say how its model was made
	}
	dbs = map[string]string{}
	for name, spec := range specs {
		db := filepath.Join(dir, name+".db")
		preset := spec.Preset
		if name == "unknown" {
			preset = "blitz"
		}
		testfix.PutStore(t, db, store.Manifest{Model: name + "-fp", Preset: preset, Dim: 4, InputSize: spec.InputSize, Spec: spec}, testfix.Record("1", 1))
		dbs[name] = db
	}
	return dir, dbs, weights
}

// TestCheckModel: model options that would make vectors that do not
// compare with a store's are refused before anything is built.
func TestCheckModel(t *testing.T) {
	dir, dbs, weights := modelStores(t)
	other := filepath.Join(dir, "other.pth")
	if err := os.WriteFile(other, []byte("other weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		store string
		o     ModelOptions
		want  error // nil: accepted
		words string
	}{
		{"new", ModelOptions{Preset: "recipe", Precision: "fp16"}, nil, ""},
		{"new", ModelOptions{Weights: "model.onnx"}, ErrInvalid, "is an ONNX model"},
		{"vgg16", ModelOptions{}, nil, ""},
		{"vgg16", ModelOptions{Preset: "blitz", Precision: "fp32", Weights: weights}, nil, ""},
		{"vgg16", ModelOptions{Preset: "recipe"}, store.ErrManifestMismatch, "preset blitz, not recipe"},
		{"vgg16", ModelOptions{Precision: "fp16"}, store.ErrManifestMismatch, "precision fp32, not fp16"},
		{"vgg16", ModelOptions{ONNX: filepath.Join(dir, "x.onnx")}, store.ErrManifestMismatch, "not by an ONNX model"},
		{"vgg16", ModelOptions{Weights: other}, store.ErrManifestMismatch, "other.pth has sha256"},
		{"onnx", ModelOptions{Weights: weights}, store.ErrManifestMismatch, "gone.onnx"},
		{"imported", ModelOptions{}, ErrNoModel, `imported vectors (model "clip")`},
	} {
		db := dbs[c.store]
		if db == "" {
			db = filepath.Join(dir, "new.db")
		}
		a := openApp(t, db)
		err := a.CheckModel(c.o)
		a.Close()
		if c.want == nil && err != nil || c.want != nil && (!errors.Is(err, c.want) || !strings.Contains(err.Error(), c.words)) {
			t.Errorf("%s store, %+v: %v, want %v saying %q", c.store, c.o, err, c.want, c.words)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("CheckModel created a store")
	}
}

// TestModelChoice: which model embeds a new image for each kind of store,
// up to the point where a model would be built (no runtime, no weights
// needed): imported and unrecorded models are ErrNoModel, an ONNX file that
// moved is named, the store's weights must match its hash, and a bad preset
// is a usage error.
func TestModelChoice(t *testing.T) {
	isolateModels(t)
	dir, dbs, weights := modelStores(t)
	testfix.NoisePNGs(t, dir, 1, 4)
	q := filepath.Join(dir, "0.png")
	other := filepath.Join(dir, "other.pth")
	if err := os.WriteFile(other, []byte("other weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		store string
		o     ModelOptions
		want  error
		words string
	}{
		{"imported", ModelOptions{}, ErrNoModel, "imported vectors"},
		{"unknown", ModelOptions{}, ErrNoModel, "does not say how its model"},
		{"onnx", ModelOptions{}, ErrNoModel, "gone.onnx"},
		{"vgg16", ModelOptions{Weights: other}, store.ErrManifestMismatch, "other.pth has sha256"},
		{"vgg16", ModelOptions{Preset: "no-such-preset", Weights: weights}, ErrInvalid, "no-such-preset"},
	} {
		a := openApp(t, dbs[c.store])
		_, err := a.Similar(ctx, SimilarOptions{Query: q, K: 1, Model: c.o})
		a.Close()
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.words) || !strings.Contains(err.Error(), q) {
			t.Errorf("%s store, %+v: %v, want %v naming the image and saying %q", c.store, c.o, err, c.want, c.words)
		}
	}
	// The store's own weights, moved away: the hash and file are named.
	if err := os.Rename(weights, weights+".moved"); err != nil {
		t.Fatal(err)
	}
	a := openApp(t, dbs["vgg16"])
	_, err := a.Similar(ctx, SimilarOptions{Query: q, K: 1, Model: ModelOptions{NoDownload: true}})
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "mine.pth") {
		t.Errorf("the store's weights moved away: %v", err)
	}
}
