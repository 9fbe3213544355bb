package vgg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/x448/float16"
	"google.golang.org/protobuf/proto"

	"github.com/vecimg/vecimg/embed/onnxpb"
)

func fixtureWeights(t testing.TB) *Weights {
	t.Helper()
	w, err := LoadPTH(fixturePath("vgg16_w32_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func parseModel(t *testing.T, b []byte) *onnxpb.ModelProto {
	t.Helper()
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatalf("the built model does not parse: %v", err)
	}
	return &m
}

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

func dims(v *onnxpb.ValueInfoProto) []string {
	var out []string
	for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
		if p := d.GetDimParam(); p != "" {
			out = append(out, p)
		} else {
			out = append(out, fmt.Sprint(d.GetDimValue()))
		}
	}
	return out
}

func TestBuildModelStructure(t *testing.T) {
	w := fixtureWeights(t)
	for _, prec := range []string{PrecisionFP32, PrecisionFP16, PrecisionMixed} {
		for _, size := range []int{32, 96, 224, 448} {
			t.Run(fmt.Sprintf("%s/%d", prec, size), func(t *testing.T) {
				b, err := Build(w, BuildOptions{Size: size, Precision: prec})
				if err != nil {
					t.Fatal(err)
				}
				m := parseModel(t, b)
				checkModel(t, m, w, size, prec)
			})
		}
	}
}

func checkModel(t *testing.T, m *onnxpb.ModelProto, w *Weights, size int, prec string) {
	t.Helper()
	if m.GetIrVersion() != irVersion || len(m.GetOpsetImport()) != 1 ||
		m.GetOpsetImport()[0].GetDomain() != "" || m.GetOpsetImport()[0].GetVersion() != opsetVersion {
		t.Errorf("ir %d, opsets %v", m.GetIrVersion(), m.GetOpsetImport())
	}
	g := m.GetGraph()
	if len(g.GetInput()) != 1 || g.GetInput()[0].GetName() != InputName ||
		g.GetInput()[0].GetType().GetTensorType().GetElemType() != int32(onnxpb.TensorProto_FLOAT) {
		t.Fatalf("inputs %v", g.GetInput())
	}
	s := fmt.Sprint(size)
	if got := dims(g.GetInput()[0]); !slices.Equal(got, []string{"batch", "3", s, s}) {
		t.Errorf("input dims %v", got)
	}
	if len(g.GetOutput()) != 1 || g.GetOutput()[0].GetName() != OutputName ||
		g.GetOutput()[0].GetType().GetTensorType().GetElemType() != int32(onnxpb.TensorProto_FLOAT) {
		t.Fatalf("outputs %v", g.GetOutput())
	}
	if got := dims(g.GetOutput()[0]); !slices.Equal(got, []string{"batch", fmt.Sprint(w.Dim())}) {
		t.Errorf("output dims %v", got)
	}

	// Every input is defined before use; every initializer is used.
	defined := map[string]bool{InputName: true}
	used := map[string]bool{}
	for _, in := range g.GetInitializer() {
		defined[in.GetName()] = true
	}
	ops := map[string]int{}
	var seq []string
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			if !defined[in] {
				t.Errorf("node %s reads %q before it is defined", n.GetName(), in)
			}
			used[in] = true
		}
		for _, out := range n.GetOutput() {
			defined[out] = true
		}
		ops[n.GetOpType()]++
		seq = append(seq, n.GetOpType())
		switch n.GetOpType() {
		case "Conv":
			if !slices.Equal(attr(n, "kernel_shape").GetInts(), []int64{3, 3}) || !slices.Equal(attr(n, "pads").GetInts(), []int64{1, 1, 1, 1}) {
				t.Errorf("conv %s attributes %v", n.GetName(), n.GetAttribute())
			}
		case "MaxPool":
			if !slices.Equal(attr(n, "kernel_shape").GetInts(), []int64{2, 2}) || !slices.Equal(attr(n, "strides").GetInts(), []int64{2, 2}) {
				t.Errorf("maxpool %s attributes %v", n.GetName(), n.GetAttribute())
			}
		case "Gemm":
			if attr(n, "transB").GetI() != 1 {
				t.Errorf("gemm without transB=1")
			}
		case "Flatten":
			if attr(n, "axis").GetI() != 1 {
				t.Errorf("flatten axis %d", attr(n, "axis").GetI())
			}
		}
	}
	if !defined[OutputName] {
		t.Errorf("no node produces %q", OutputName)
	}
	for _, in := range g.GetInitializer() {
		if !used[in.GetName()] {
			t.Errorf("initializer %s is unused", in.GetName())
		}
	}
	if ops["Conv"] != 13 || ops["Relu"] != 13 || ops["MaxPool"] != 5 || ops["Flatten"] != 1 || ops["Gemm"] != 1 {
		t.Errorf("op counts %v", ops)
	}
	switch f := size / 32; {
	case f == 7:
		if ops["AveragePool"]+ops["MatMul"] != 0 {
			t.Errorf("feature map 7: pooling ops %v", ops)
		}
	case f%7 == 0:
		if ops["AveragePool"] != 1 || ops["MatMul"] != 0 {
			t.Errorf("feature map %d: pooling ops %v", f, ops)
		}
	default:
		if ops["AveragePool"] != 0 || ops["MatMul"] != 2 {
			t.Errorf("feature map %d: pooling ops %v", f, ops)
		}
	}
	nodes := g.GetNode()
	first, last := nodes[0], nodes[len(nodes)-1]
	switch prec {
	case PrecisionFP32:
		if ops["Cast"] != 0 {
			t.Errorf("fp32 model has casts: %v", seq)
		}
	case PrecisionFP16:
		if ops["Cast"] != 2 || first.GetOpType() != "Cast" || attr(first, "to").GetI() != int64(onnxpb.TensorProto_FLOAT16) ||
			last.GetOpType() != "Cast" || attr(last, "to").GetI() != int64(onnxpb.TensorProto_FLOAT) {
			t.Errorf("fp16 casts: %v", seq)
		}
	case PrecisionMixed:
		// Cast to half first; back to float32 right before Flatten and Gemm.
		back := nodes[len(nodes)-3]
		if ops["Cast"] != 2 || first.GetOpType() != "Cast" || attr(first, "to").GetI() != int64(onnxpb.TensorProto_FLOAT16) ||
			back.GetOpType() != "Cast" || attr(back, "to").GetI() != int64(onnxpb.TensorProto_FLOAT) || last.GetOpType() != "Gemm" {
			t.Errorf("mixed casts: %v", seq)
		}
	}

	// Initializers hold the weights, exactly (fp32) or rounded to half.
	want := tensorsByKey(w)
	shapes := map[string][]int64{}
	for _, l := range append(append([]Layer(nil), w.Convs...), w.FC6) {
		if l.Name == fc6Key {
			shapes[l.Name+".weight"] = []int64{int64(l.Out), int64(l.In)}
		} else {
			shapes[l.Name+".weight"] = []int64{int64(l.Out), int64(l.In), 3, 3}
		}
		shapes[l.Name+".bias"] = []int64{int64(l.Out)}
	}
	seen := 0
	for _, in := range g.GetInitializer() {
		data, ok := want[in.GetName()]
		if !ok {
			continue // pooling matrices
		}
		seen++
		if !slices.Equal(in.GetDims(), shapes[in.GetName()]) {
			t.Errorf("%s dims %v, want %v", in.GetName(), in.GetDims(), shapes[in.GetName()])
		}
		half := prec == PrecisionFP16 || prec == PrecisionMixed && !strings.HasPrefix(in.GetName(), fc6Key)
		if !bytes.Equal(in.GetRawData(), encode(data, half)) {
			t.Errorf("%s: raw data differs from the weights", in.GetName())
		}
		wantType := onnxpb.TensorProto_FLOAT
		if half {
			wantType = onnxpb.TensorProto_FLOAT16
		}
		if in.GetDataType() != int32(wantType) {
			t.Errorf("%s data type %d", in.GetName(), in.GetDataType())
		}
	}
	if seen != len(want) {
		t.Errorf("%d weight initializers, want %d", seen, len(want))
	}
}

// encode is an independent little-endian encoding of v.
func encode(v []float32, half bool) []byte {
	var buf bytes.Buffer
	for _, x := range v {
		if half {
			binary.Write(&buf, binary.LittleEndian, float16.Fromfloat32(x).Bits())
		} else {
			binary.Write(&buf, binary.LittleEndian, math.Float32bits(x))
		}
	}
	return buf.Bytes()
}

func TestAdaptivePoolMatrix(t *testing.T) {
	// PyTorch's windows [floor(i·f/7), ceil((i+1)·f/7)) for i = 0…6.
	windows := map[int][7][2]int{
		1:  {{0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}, {0, 1}},
		2:  {{0, 1}, {0, 1}, {0, 1}, {0, 2}, {1, 2}, {1, 2}, {1, 2}},
		3:  {{0, 1}, {0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 3}, {2, 3}},
		10: {{0, 2}, {1, 3}, {2, 5}, {4, 6}, {5, 8}, {7, 9}, {8, 10}},
		14: {{0, 2}, {2, 4}, {4, 6}, {6, 8}, {8, 10}, {10, 12}, {12, 14}},
	}
	for f, win := range windows {
		m := adaptivePoolMatrix(f)
		for i, wnd := range win {
			for j := range f {
				want := float32(0)
				if j >= wnd[0] && j < wnd[1] {
					want = 1 / float32(wnd[1]-wnd[0])
				}
				if m[i*f+j] != want {
					t.Errorf("f=%d: m[%d][%d] = %v, want %v", f, i, j, m[i*f+j], want)
				}
			}
		}
	}
}

func TestBuildOptionErrors(t *testing.T) {
	w := fixtureWeights(t)
	for _, o := range []BuildOptions{
		{Size: 100}, {Size: -32}, {Size: 16}, {Size: 1 << 16},
		{Size: 224, Precision: "bf16"}, {Precision: "FP32"},
	} {
		_, err := Build(w, o)
		if err == nil {
			t.Errorf("%+v: no error", o)
			continue
		}
		wantErr(t, err, ErrOptions)
	}
	_, err := Build(w, BuildOptions{Size: 100})
	wantErr(t, err, ErrOptions, "100", "multiple of 32")
}

func TestBuildDefaults(t *testing.T) {
	w := fixtureWeights(t)
	b, err := Build(w, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := parseModel(t, b)
	checkModel(t, m, w, DefaultSize, PrecisionFP32)
	meta := map[string]string{}
	for _, p := range m.GetMetadataProps() {
		meta[p.GetKey()] = p.GetValue()
	}
	if meta["vecimg.size"] != "448" || meta["vecimg.precision"] != "fp32" || meta["vecimg.builder_version"] != fmt.Sprint(BuilderVersion) {
		t.Errorf("metadata %v", meta)
	}
	again, err := Build(w, BuildOptions{Size: DefaultSize, Precision: PrecisionFP32})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Error("two builds of the same weights and options differ")
	}
}

func TestBuildInvalidWeights(t *testing.T) {
	if _, err := Build(nil, BuildOptions{}); !errors.Is(err, ErrWeights) {
		t.Errorf("nil weights: %v", err)
	}
	w := fixtureWeights(t)
	short := *w
	short.Convs = short.Convs[:12]
	_, err := Build(&short, BuildOptions{})
	wantErr(t, err, ErrWeights, "12 convolutions")

	bias := *w
	bias.Convs = slices.Clone(w.Convs)
	bias.Convs[3].Bias = bias.Convs[3].Bias[:1]
	_, err = Build(&bias, BuildOptions{})
	wantErr(t, err, ErrWeights, "features.7")

	fc := *w
	fc.FC6.In, fc.FC6.Weight = 10, make([]float32, 10*w.FC6.Out)
	_, err = Build(&fc, BuildOptions{})
	wantErr(t, err, ErrWeights, "classifier.0.weight", "784")
}
