package embed

// Numeric golden tests of the fc6 graph embed/vgg builds, run through this
// package's own path (PrepareModel → NewSession → Run on the CPU provider)
// against PyTorch's fc6 outputs for the committed fixtures in vgg/testdata
// (scripts/make_model_fixtures.py). They need ONNX Runtime: without it they
// skip, or fail when VECIMG_REQUIRE_ORT is set (see testRuntime).

import (
	"os"
	"testing"

	"github.com/vecimg/vecimg/embed/internal/fixture"
	"github.com/vecimg/vecimg/embed/vgg"
)

// vggTestdata is embed/vgg's testdata directory, seen from this package.
const vggTestdata = "vgg/testdata"

func loadFC6Goldens(t *testing.T) *fixture.Golden {
	t.Helper()
	g, err := fixture.Load(vggTestdata)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// runFC6 prepares the fc6 model of weights for size×size inputs at precision
// prec in cache, and runs it on the CPU on the batch x of n images.
func runFC6(t *testing.T, rt Runtime, cache, weights, prec string, size, n int, x []float32) []float32 {
	t.Helper()
	sess := cpuSession(t, rt, ModelSpec{Weights: weights, Size: size, Precision: prec, CacheDir: cache})
	defer sess.Close() // now, not at the end of the test: full-size models are large
	if m := sess.Model(); m.Precision != prec {
		t.Fatalf("PrepareModel made a %s model, asked for %s", m.Precision, prec)
	}
	out, err := sess.Run(x, n, nil)
	if err != nil {
		t.Fatalf("%s, %s, size %d: %v", weights, prec, size, err)
	}
	return out
}

// TestORTGoldenFP32 holds the fp32 model to PyTorch's fc6 outputs at every
// input size in golden.json (feature maps from 1×1, where the adaptive pool
// replicates, to 14×14, where it averages), for both .pth formats.
func TestORTGoldenFP32(t *testing.T) {
	rt := testRuntime(t)
	g := loadFC6Goldens(t)
	cache := t.TempDir()
	for _, weights := range g.Weights() {
		for _, c := range g.Cases {
			want, err := g.Output(c)
			if err != nil {
				t.Fatal(err)
			}
			got := runFC6(t, rt, cache, weights, vgg.PrecisionFP32, c.Size, c.Batch, c.Input())
			e := fixture.MaxRelErr(got, want)
			t.Logf("%s size %3d (feature map %2d): fp32 max rel error %.3g", weights, c.Size, c.Size/32, e)
			if !(e <= 1e-4) {
				t.Errorf("%s size %d: %d outputs, max relative error %.3g > 1e-4 (PyTorch gave %d outputs)", weights, c.Size, len(got), e, len(want))
			}
		}
	}
}

// TestORTHalfPrecision compares the fp16 and mixed models with PyTorch's
// fp32 outputs. On x86-64 the CPU provider has no half Conv: it widens the
// half weights and runs the convolutions in float32, so this measures the
// weights' rounding and the half MatMul/Gemm; half activations throughout
// are only exercised on a GPU.
func TestORTHalfPrecision(t *testing.T) {
	rt := testRuntime(t)
	g := loadFC6Goldens(t)
	cache := t.TempDir()
	weights := g.Path(g.Zip)
	for _, prec := range []string{vgg.PrecisionFP16, vgg.PrecisionMixed} {
		for _, c := range g.Cases {
			want, err := g.Output(c)
			if err != nil {
				t.Fatal(err)
			}
			got := runFC6(t, rt, cache, weights, prec, c.Size, c.Batch, c.Input())
			cos := fixture.MinCosine(got, want, c.Dim)
			t.Logf("%-5s size %3d: vs PyTorch fp32: min cosine %.7f, max rel error %.3g", prec, c.Size, cos, fixture.MaxRelErr(got, want))
			if !(cos >= 0.9999) {
				t.Errorf("%s size %d: cosine to PyTorch fp32 %.6f < 0.9999", prec, c.Size, cos)
			}
		}
	}
}

// TestORTFullSize checks a full-size (width 1) weights file, too big to
// commit, against PyTorch on one 448×448 input. It runs only when both
// VECIMG_FULL_WEIGHTS and VECIMG_FULL_GOLDEN are set:
//
//	/usr/bin/python3 ../shared/ref/make_vgg16_weights.py --width 1 --bias-std 0.01 /tmp/vgg16_w1.pth
//	/usr/bin/python3 scripts/make_model_fixtures.py --full /tmp/vgg16_w1.pth --full-out /tmp/vgg16_w1_fc6.f32
//	VECIMG_FULL_WEIGHTS=/tmp/vgg16_w1.pth VECIMG_FULL_GOLDEN=/tmp/vgg16_w1_fc6.f32 go test -run ORTFullSize -v ./embed/
func TestORTFullSize(t *testing.T) {
	weights, goldenPath := os.Getenv("VECIMG_FULL_WEIGHTS"), os.Getenv("VECIMG_FULL_GOLDEN")
	if weights == "" || goldenPath == "" {
		t.Skip("set VECIMG_FULL_WEIGHTS and VECIMG_FULL_GOLDEN to check full-size weights")
	}
	rt := testRuntime(t)
	const seed, size = 7, 448 // as in the script's full_golden
	want := readF32(t, goldenPath)
	x := fixture.GoldenInput(seed, 3*size*size)
	cache := t.TempDir()
	var fp32 []float32
	for _, prec := range []string{vgg.PrecisionFP32, vgg.PrecisionFP16, vgg.PrecisionMixed} {
		got := runFC6(t, rt, cache, weights, prec, size, 1, x)
		e, cos := fixture.MaxRelErr(got, want), fixture.Cosine(got, want)
		t.Logf("%-5s vs PyTorch fp32: max rel error %.3g, cosine %.8f", prec, e, cos)
		if prec == vgg.PrecisionFP32 {
			fp32 = got
			if !(e <= 1e-4) {
				t.Errorf("fp32: %d outputs, PyTorch gave %d, max relative error %.3g > 1e-4", len(got), len(want), e)
			}
			continue
		}
		t.Logf("%-5s vs vecimg fp32: cosine %.8f", prec, fixture.Cosine(got, fp32))
		if !(cos >= 0.999) {
			t.Errorf("%s: cosine to PyTorch fp32 %.6f < 0.999", prec, cos)
		}
	}
}
