package embed

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"

	"github.com/vecimg/vecimg/embed/internal/fixture"
	"github.com/vecimg/vecimg/embed/onnxpb"
	"github.com/vecimg/vecimg/embed/vgg"
)

// calibrateInputs measures the activation ranges of the fixture weights on
// n preprocessed inputs laid out back to back in x.
func calibrateInputs(t *testing.T, w *vgg.Weights, size, n int, x []float32, rule string, bits int) *vgg.Quant {
	t.Helper()
	c, err := newCalibrator(w, size, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	per := 3 * size * size
	for i := range n {
		if err := c.add(x[i*per : (i+1)*per]); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.ranges(rule)
	if err != nil {
		t.Fatal(err)
	}
	return &vgg.Quant{Ranges: r, WeightBits: bits}
}

// optimizedOps opens model on the CPU with ONNX Runtime's full graph
// optimisation, has it write the optimised model, and counts its op types
// (domain-qualified when not the default domain).
func optimizedOps(t *testing.T, model string) map[string]int {
	t.Helper()
	so, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer so.Destroy()
	opt := filepath.Join(t.TempDir(), "optimized.onnx")
	if err := so.SetOptimizedModelFilePath(opt); err != nil {
		t.Fatal(err)
	}
	sess, err := ort.NewDynamicAdvancedSession(model, []string{vgg.InputName}, []string{vgg.OutputName}, so)
	if err != nil {
		t.Fatal(err)
	}
	sess.Destroy()
	b, err := os.ReadFile(opt)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, n := range m.GetGraph().GetNode() {
		op := n.GetOpType()
		if d := n.GetDomain(); d != "" && d != "ai.onnx" {
			op = d + "." + op
		}
		ops[op]++
	}
	return ops
}

// TestInt8GraphFuses builds the QDQ int8 graph of the fixture weights,
// calibrated on the golden inputs, and checks that ONNX Runtime's CPU
// provider turns every convolution into QLinearConv and fc6 into QGemm (no
// float Conv or Gemm is left), and that its vectors are close to PyTorch's
// fp32 ones, at input sizes whose adaptive pool is an average pool (448),
// the identity (224) and two MatMuls (96). Both weight widths are built.
func TestInt8GraphFuses(t *testing.T) {
	rt := testRuntime(t)
	_ = rt
	g := loadFC6Goldens(t)
	w, err := vgg.LoadPTH(g.Path(g.Zip))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range g.Cases {
		if c.Size != 448 && c.Size != 224 && c.Size != 96 {
			continue
		}
		want, err := g.Output(c)
		if err != nil {
			t.Fatal(err)
		}
		x := c.Input()
		for _, bits := range []int{8, 7} {
			q := calibrateInputs(t, w, c.Size, c.Batch, x, RulePercentile, bits)
			b, err := vgg.Build(w, vgg.BuildOptions{Size: c.Size, Precision: vgg.PrecisionInt8, Quant: q})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "int8.onnx")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			ops := optimizedOps(t, path)
			t.Logf("size %d, %d-bit weights: optimised ops %v", c.Size, bits, ops)
			// The layout pass turns QLinearConv into its NHWC version in
			// the com.microsoft domain.
			qconv := ops["QLinearConv"] + ops["com.microsoft.QLinearConv"]
			if qconv != 13 || ops["com.microsoft.QGemm"] != 1 || ops["Conv"] != 0 || ops["Gemm"] != 0 || ops["com.microsoft.nchwc.Conv"] != 0 {
				t.Errorf("size %d, %d-bit: ORT's optimised graph has %d QLinearConv, %d QGemm, %d Conv, %d Gemm; want 13, 1, 0, 0 (%v)",
					c.Size, bits, qconv, ops["com.microsoft.QGemm"], ops["Conv"]+ops["com.microsoft.nchwc.Conv"], ops["Gemm"], ops)
			}
			sess := cpuSession(t, rt, ModelSpec{ONNX: path, Size: c.Size, CacheDir: dir})
			got, err := sess.Run(x, c.Batch, nil)
			sess.Close()
			if err != nil {
				t.Fatal(err)
			}
			worst := fixture.MinCosine(got, want, len(want)/c.Batch)
			t.Logf("size %d, %d-bit: cosine to PyTorch fp32, min over %d inputs %.5f", c.Size, bits, c.Batch, worst)
			if !(worst >= 0.98) {
				t.Errorf("size %d, %d-bit: int8 vectors' cosine to fp32 down to %.5f (< 0.98)", c.Size, bits, worst)
			}
		}
	}
}

// TestInt8RebuildIdentical: the same weights and Quant build the same bytes,
// through PrepareModel's cache key as well.
func TestInt8RebuildIdentical(t *testing.T) {
	testRuntime(t)
	w, err := vgg.LoadPTH(fixtureWeights)
	if err != nil {
		t.Fatal(err)
	}
	g := loadFC6Goldens(t)
	c := g.Cases[0]
	q := calibrateInputs(t, w, c.Size, c.Batch, c.Input(), RuleMSE, 8)
	spec := ModelSpec{Weights: fixtureWeights, Size: c.Size, Precision: vgg.PrecisionInt8, Quant: q, CacheDir: t.TempDir()}
	m1, err := PrepareModel(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(m1.Path)
	q2 := &vgg.Quant{Ranges: append([]float32(nil), q.Ranges...), WeightBits: q.WeightBits}
	spec.Quant, spec.CacheDir = q2, t.TempDir()
	m2, err := PrepareModel(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(m2.Path)
	if m1.Fingerprint != m2.Fingerprint || len(b1) == 0 || string(b1) != string(b2) {
		t.Errorf("rebuilt int8 model differs: fingerprints %s, %s; %d and %d bytes", m1.Fingerprint, m2.Fingerprint, len(b1), len(b2))
	}
	q2.Ranges[3] *= 1.0001
	spec.CacheDir = t.TempDir()
	m3, err := PrepareModel(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if m3.Fingerprint == m1.Fingerprint {
		t.Errorf("another range gave the same fingerprint %s", m3.Fingerprint)
	}
}
