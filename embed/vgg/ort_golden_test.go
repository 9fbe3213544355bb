//go:build ort

// The numeric golden tests need ONNX Runtime (cgo), which only package embed
// may import in the vecimg build; this file therefore sits behind the "ort"
// build tag: go test -tags ort ./embed/vgg/
// It looks for the library in $ONNXRUNTIME_SHARED_LIBRARY_PATH, then in
// vecimg's cache (~/.cache/vecimg/onnxruntime/1.29.0/libonnxruntime.so.1).

package vgg

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

var ortOnce struct {
	sync.Once
	err error
}

func requireORT(t testing.TB) {
	t.Helper()
	ortOnce.Do(func() {
		lib := os.Getenv("ONNXRUNTIME_SHARED_LIBRARY_PATH")
		if lib == "" {
			cache := os.Getenv("XDG_CACHE_HOME")
			if cache == "" {
				home, _ := os.UserHomeDir()
				cache = filepath.Join(home, ".cache")
			}
			lib = filepath.Join(cache, "vecimg", "onnxruntime", "1.29.0", "libonnxruntime.so.1")
		}
		if _, err := os.Stat(lib); err != nil {
			ortOnce.err = fmt.Errorf("no ONNX Runtime library at %s (set ONNXRUNTIME_SHARED_LIBRARY_PATH)", lib)
			return
		}
		ort.SetSharedLibraryPath(lib)
		ortOnce.err = ort.InitializeEnvironment()
	})
	if ortOnce.err != nil {
		t.Skip(ortOnce.err)
	}
}

// runModel runs a serialized model on x [batch, 3, size, size].
func runModel(t testing.TB, model []byte, x []float32, batch, size int) []float32 {
	t.Helper()
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(2); err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{InputName}, []string{OutputName}, opts)
	if err != nil {
		t.Fatalf("ONNX Runtime rejects the model: %v", err)
	}
	defer s.Destroy()
	in, err := ort.NewTensor(ort.NewShape(int64(batch), 3, int64(size), int64(size)), x)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	outs := []ort.Value{nil}
	if err := s.Run([]ort.Value{in}, outs); err != nil {
		t.Fatalf("running the model: %v", err)
	}
	defer outs[0].Destroy()
	out, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		t.Fatalf("output is a %T, not a float32 tensor", outs[0])
	}
	return append([]float32(nil), out.GetData()...)
}

// maxRelErr is max|a-b| / max|b|.
func maxRelErr(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	return d / m
}

// minCosine is the smallest cosine between corresponding rows of a and b.
func minCosine(a, b []float32, dim int) float64 {
	min := 1.0
	for r := 0; r < len(a)/dim; r++ {
		var ab, aa, bb float64
		for i := r * dim; i < (r+1)*dim; i++ {
			ab += float64(a[i]) * float64(b[i])
			aa += float64(a[i]) * float64(a[i])
			bb += float64(b[i]) * float64(b[i])
		}
		min = math.Min(min, ab/math.Sqrt(aa*bb))
	}
	return min
}

func TestORTGoldenFP32(t *testing.T) {
	requireORT(t)
	g := loadGolden(t)
	for _, name := range []string{g.Legacy, g.Zip} {
		w, err := LoadPTH(fixturePath(name))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range g.Cases {
			model, err := Build(w, BuildOptions{Size: c.Size})
			if err != nil {
				t.Fatal(err)
			}
			want := readF32(t, c.Output)
			got := runModel(t, model, goldenInput(c.InputSeed, c.Batch*3*c.Size*c.Size), c.Batch, c.Size)
			if len(got) != len(want) {
				t.Fatalf("%s size %d: %d outputs, PyTorch gave %d", name, c.Size, len(got), len(want))
			}
			e := maxRelErr(got, want)
			t.Logf("%s size %3d (feature map %2d): fp32 max rel error %.3g", name, c.Size, c.Size/32, e)
			if e > 1e-4 {
				t.Errorf("%s size %d: max relative error %.3g > 1e-4", name, c.Size, e)
			}
		}
	}
}

func TestORTFP16AgainstFP32(t *testing.T) {
	requireORT(t)
	g := loadGolden(t)
	w, err := LoadPTH(fixturePath(g.Zip))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		x := goldenInput(c.InputSeed, c.Batch*3*c.Size*c.Size)
		m16, err := Build(w, BuildOptions{Size: c.Size, Precision: PrecisionFP16})
		if err != nil {
			t.Fatal(err)
		}
		got := runModel(t, m16, x, c.Batch, c.Size)
		want := readF32(t, c.Output)
		cos := minCosine(got, want, c.Dim)
		t.Logf("size %3d: fp16 vs PyTorch fp32: min cosine %.7f, max rel error %.3g", c.Size, cos, maxRelErr(got, want))
		if cos < 0.999 {
			t.Errorf("size %d: fp16 cosine to fp32 %.6f < 0.999", c.Size, cos)
		}
	}
}
