package vgg

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/embed/internal/fixture"
)

// The committed fixtures and PyTorch's outputs for them, written by
// scripts/make_model_fixtures.py and read through embed/internal/fixture,
// which package embed's ONNX Runtime golden tests share.

// fixturePath is the path of a committed fixture file.
func fixturePath(name string) string { return filepath.Join("testdata", name) }

func loadGolden(t testing.TB) *fixture.Golden {
	t.Helper()
	g, err := fixture.Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tensorsByKey returns every tensor of w under its state_dict key.
func tensorsByKey(w *Weights) map[string][]float32 {
	m := map[string][]float32{}
	for _, l := range append(append([]Layer(nil), w.Convs...), w.FC6) {
		m[l.Name+".weight"] = l.Weight
		m[l.Name+".bias"] = l.Bias
	}
	return m
}

func TestFixturesMatchTorchTensors(t *testing.T) {
	g := loadGolden(t)
	want := map[string]fixture.Tensor{}
	for _, gt := range g.Tensors {
		want[gt.Key] = gt
	}
	var loaded []*Weights
	for _, name := range []string{g.Legacy, g.Zip} {
		w, err := LoadPTH(g.Path(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		loaded = append(loaded, w)
		got := tensorsByKey(w)
		if len(got) != 2*len(convIndices)+2 {
			t.Fatalf("%s: %d tensors", name, len(got))
		}
		for key, data := range got {
			gt, ok := want[key]
			if !ok {
				t.Fatalf("%s: %s not in golden.json", name, key)
			}
			n := 1
			for _, d := range gt.Shape {
				n *= d
			}
			if len(data) != n {
				t.Errorf("%s: %s has %d elements, torch's shape %v has %d", name, key, len(data), gt.Shape, n)
				continue
			}
			b := make([]byte, 4*len(data))
			for i, v := range data {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != gt.SHA256 {
				t.Errorf("%s: %s differs from torch's tensor", name, key)
			}
		}
		if w.Dim() != g.Cases[0].Dim {
			t.Errorf("%s: Dim() = %d, golden fc6 width %d", name, w.Dim(), g.Cases[0].Dim)
		}
		if w.Convs[0].In != 3 || w.FC6.In != w.Convs[12].Out*49 {
			t.Errorf("%s: widths in %d, fc6 in %d, last conv out %d", name, w.Convs[0].In, w.FC6.In, w.Convs[12].Out)
		}
	}
	a, b := tensorsByKey(loaded[0]), tensorsByKey(loaded[1])
	for key := range a {
		if !equalF32(a[key], b[key]) {
			t.Errorf("legacy and zip fixtures differ at %s", key)
		}
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
