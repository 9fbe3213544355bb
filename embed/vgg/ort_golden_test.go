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

// TestORTHalfPrecision compares the fp16 and mixed models with PyTorch's
// fp32 outputs. On x86-64 the CPU provider has no half Conv: it widens the
// half weights and runs the convolutions in float32, so this measures the
// weights' rounding and the half MatMul/Gemm; half activations throughout
// are only measured on a GPU.
func TestORTHalfPrecision(t *testing.T) {
	requireORT(t)
	g := loadGolden(t)
	w, err := LoadPTH(fixturePath(g.Zip))
	if err != nil {
		t.Fatal(err)
	}
	for _, prec := range []string{PrecisionFP16, PrecisionMixed} {
		for _, c := range g.Cases {
			x := goldenInput(c.InputSeed, c.Batch*3*c.Size*c.Size)
			m, err := Build(w, BuildOptions{Size: c.Size, Precision: prec})
			if err != nil {
				t.Fatal(err)
			}
			got := runModel(t, m, x, c.Batch, c.Size)
			want := readF32(t, c.Output)
			cos := minCosine(got, want, c.Dim)
			t.Logf("%-5s size %3d: vs PyTorch fp32: min cosine %.7f, max rel error %.3g", prec, c.Size, cos, maxRelErr(got, want))
			if cos < 0.9999 {
				t.Errorf("%s size %d: cosine to fp32 %.6f < 0.9999", prec, c.Size, cos)
			}
		}
	}
}

// TestORTFullSize checks a full-size (width 1) weights file, which is too
// big to commit, against PyTorch on one 448×448 input:
//
//	/usr/bin/python3 ../shared/ref/make_vgg16_weights.py --width 1 --bias-std 0.01 /tmp/vgg16_w1.pth
//	/usr/bin/python3 scripts/make_model_fixtures.py --full /tmp/vgg16_w1.pth --full-out /tmp/vgg16_w1_fc6.f32
//	VECIMG_FULL_WEIGHTS=/tmp/vgg16_w1.pth VECIMG_FULL_GOLDEN=/tmp/vgg16_w1_fc6.f32 go test -tags ort -run FullSize -v ./embed/vgg/
func TestORTFullSize(t *testing.T) {
	weights, goldenPath := os.Getenv("VECIMG_FULL_WEIGHTS"), os.Getenv("VECIMG_FULL_GOLDEN")
	if weights == "" || goldenPath == "" {
		t.Skip("set VECIMG_FULL_WEIGHTS and VECIMG_FULL_GOLDEN")
	}
	requireORT(t)
	const seed, size = 7, 448 // as in the script's full_golden
	gb, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(gb)/4)
	for i := range want {
		want[i] = math.Float32frombits(uint32(gb[4*i]) | uint32(gb[4*i+1])<<8 | uint32(gb[4*i+2])<<16 | uint32(gb[4*i+3])<<24)
	}
	w, err := LoadPTH(weights)
	if err != nil {
		t.Fatal(err)
	}
	x := goldenInput(seed, 3*size*size)
	var fp32 []float32
	for _, prec := range []string{PrecisionFP32, PrecisionFP16, PrecisionMixed} {
		m, err := Build(w, BuildOptions{Size: size, Precision: prec})
		if err != nil {
			t.Fatal(err)
		}
		got := runModel(t, m, x, 1, size)
		if len(got) != len(want) {
			t.Fatalf("%d outputs, PyTorch gave %d", len(got), len(want))
		}
		e, cos := maxRelErr(got, want), minCosine(got, want, len(want))
		t.Logf("%s: %d-byte model, vs PyTorch fp32: max rel error %.3g, cosine %.8f", prec, len(m), e, cos)
		if prec == PrecisionFP32 {
			fp32 = got
			if e > 1e-4 {
				t.Errorf("fp32 max relative error %.3g > 1e-4", e)
			}
		} else {
			t.Logf("%s vs vecimg fp32: cosine %.8f", prec, minCosine(got, fp32, len(fp32)))
			if cos < 0.999 {
				t.Errorf("%s cosine %.6f < 0.999", prec, cos)
			}
		}
	}
}
