package vgg

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The committed fixtures and PyTorch's outputs for them, written by
// scripts/make_model_fixtures.py (see golden.json).

type goldenCase struct {
	Size      int       `json:"size"`
	Batch     int       `json:"batch"`
	InputSeed uint64    `json:"input_seed"`
	InputSum  float64   `json:"input_sum"`
	InputHead []float32 `json:"input_head"`
	Output    string    `json:"output"`
	Dim       int       `json:"dim"`
}

type goldenTensor struct {
	Key    string `json:"key"`
	Shape  []int  `json:"shape"`
	SHA256 string `json:"sha256"`
}

type golden struct {
	Width   int            `json:"width"`
	Legacy  string         `json:"legacy"`
	Zip     string         `json:"zip"`
	Tensors []goldenTensor `json:"tensors"`
	Cases   []goldenCase   `json:"cases"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("golden.json: %v", err)
	}
	if len(g.Cases) == 0 || len(g.Tensors) == 0 {
		t.Fatal("golden.json lists no cases or tensors")
	}
	return g
}

func fixturePath(name string) string { return filepath.Join("testdata", name) }

// readF32 reads a little-endian float32 file.
func readF32(t testing.TB, name string) []float32 {
	t.Helper()
	b, err := os.ReadFile(fixturePath(name))
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes, not float32s", name, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// goldenInput is the script's inputs(): element k is the top 24 bits of
// splitmix64 at state seed+(k+1)·0x9E3779B97F4A7C15, divided by 2^24.
func goldenInput(seed uint64, n int) []float32 {
	out := make([]float32, n)
	for k := range out {
		z := seed + uint64(k+1)*0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[k] = float32(z>>40) / (1 << 24)
	}
	return out
}

func TestGoldenInputsMatchScript(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		x := goldenInput(c.InputSeed, c.Batch*3*c.Size*c.Size)
		var sum float64
		for _, v := range x {
			sum += float64(v)
		}
		if math.Abs(sum-c.InputSum) > 1e-9*math.Abs(c.InputSum) {
			t.Errorf("size %d: input sum %.10g, script had %.10g", c.Size, sum, c.InputSum)
		}
		for i, v := range c.InputHead {
			if x[i] != v {
				t.Errorf("size %d: input[%d] = %v, script had %v", c.Size, i, x[i], v)
			}
		}
	}
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
	want := map[string]goldenTensor{}
	for _, gt := range g.Tensors {
		want[gt.Key] = gt
	}
	var loaded []*Weights
	for _, name := range []string{g.Legacy, g.Zip} {
		w, err := LoadPTH(fixturePath(name))
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
