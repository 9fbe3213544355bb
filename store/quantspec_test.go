package store

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

// TestQuantSpecRoundTrip: an int8 model's quantisation survives the
// manifest's JSON and a reopen bit for bit (the ranges are float32s whose
// shortest decimal forms must parse back to the same bits).
func TestQuantSpecRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := &QuantSpec{
		Ranges:     []float32{1.0 / 3, math.SmallestNonzeroFloat32, math.MaxFloat32, 0.1, 12345.678, float32(math.Pi)},
		WeightBits: 7, Rule: "p99.999", Images: 32,
		Digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
	want := testManifest(testDim)
	want.Spec = ModelSpec{Kind: ModelVGG16, File: "/w/vgg16.pth", SHA256: shaOf("w"), InputSize: 448, Precision: "int8", Preset: "blitz", Quant: q}
	if err := s.EnsureManifest(want); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.Manifest()
	if err != nil || !ok {
		t.Fatalf("Manifest: %v, %v", ok, err)
	}
	if !reflect.DeepEqual(got.Spec, want.Spec) {
		t.Errorf("spec after reopen\n %+v %+v\nwant\n %+v %+v", got.Spec, got.Spec.Quant, want.Spec, want.Spec.Quant)
	}
	for i, r := range got.Spec.Quant.Ranges {
		if math.Float32bits(r) != math.Float32bits(q.Ranges[i]) {
			t.Errorf("range %d: %v, want %v", i, r, q.Ranges[i])
		}
	}
}
