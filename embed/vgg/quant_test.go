package vgg

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/vecimg/vecimg/embed/onnxpb"
)

func testQuant(bits int) *Quant {
	r := make([]float32, NumQuantPoints)
	for i := range r {
		r[i] = 0.5 + float32(i)/7
	}
	return &Quant{Ranges: r, WeightBits: bits}
}

func initByName(m *onnxpb.ModelProto, name string) *onnxpb.TensorProto {
	for _, t := range m.GetGraph().GetInitializer() {
		if t.GetName() == name {
			return t
		}
	}
	return nil
}

// TestBuildInt8Graph: the QDQ graph's structure (13 Conv and one Gemm fed by
// DequantizeLinear, each Conv followed by a QuantizeLinear with uint8 zero
// point 0, max-pools on uint8 codes), weight codes within the chosen width,
// and bias codes at x_scale·w_scale.
func TestBuildInt8Graph(t *testing.T) {
	w := fixtureWeights(t)
	for _, bits := range []int{8, 7} {
		b, err := Build(w, BuildOptions{Size: 64, Precision: PrecisionInt8, Quant: testQuant(bits)})
		if err != nil {
			t.Fatal(err)
		}
		m := parseModel(t, b)
		ops := map[string]int{}
		byOut := map[string]*onnxpb.NodeProto{}
		for _, n := range m.GetGraph().GetNode() {
			ops[n.GetOpType()]++
			byOut[n.GetOutput()[0]] = n
		}
		if ops["Conv"] != 13 || ops["Gemm"] != 1 || ops["MaxPool"] != 5 || ops["Relu"] != 0 || ops["QuantizeLinear"] != 15 {
			t.Errorf("%d-bit: ops %v", bits, ops)
		}
		for _, n := range m.GetGraph().GetNode() {
			if n.GetOpType() != "Conv" && n.GetOpType() != "Gemm" {
				continue
			}
			for _, in := range n.GetInput() {
				if p := byOut[in]; p == nil || p.GetOpType() != "DequantizeLinear" {
					t.Errorf("%s input %s is not dequantised", n.GetName(), in)
				}
			}
		}
		lim := int8(127)
		if bits == 7 {
			lim = 63
		}
		for _, l := range append(append([]Layer(nil), w.Convs...), w.FC6) {
			codes := initByName(m, l.Name+".weight.int8")
			if codes == nil || codes.GetDataType() != int32(onnxpb.TensorProto_INT8) {
				t.Fatalf("%s: no int8 weights", l.Name)
			}
			hit := false
			for _, c := range codes.GetRawData() {
				v := int8(c)
				if v > lim || v < -lim {
					t.Fatalf("%d-bit: %s holds code %d", bits, l.Name, v)
				}
				hit = hit || v == lim || v == -lim
			}
			if !hit {
				t.Errorf("%d-bit: %s never reaches ±%d: the scale wastes range", bits, l.Name, lim)
			}
		}
		// features.0's bias at input scale 1/255 times its weight scales.
		ws := initByName(m, "features.0.weight.scale").GetRawData()
		bs := initByName(m, "features.0.bias.scale").GetRawData()
		for c := 0; c < len(ws)/4; c++ {
			wsc := math.Float32frombits(uint32(ws[4*c]) | uint32(ws[4*c+1])<<8 | uint32(ws[4*c+2])<<16 | uint32(ws[4*c+3])<<24)
			bsc := math.Float32frombits(uint32(bs[4*c]) | uint32(bs[4*c+1])<<8 | uint32(bs[4*c+2])<<16 | uint32(bs[4*c+3])<<24)
			if bsc != float32(1)/255*wsc {
				t.Errorf("channel %d: bias scale %g, want x_scale·w_scale %g", c, bsc, float32(1)/255*wsc)
			}
		}
	}
}

// TestBuildInt8Deterministic: the same weights and Quant give the same
// bytes; Key tells Quants apart and ignores WeightBits 0 against 8.
func TestBuildInt8Deterministic(t *testing.T) {
	w := fixtureWeights(t)
	a, err := Build(w, BuildOptions{Size: 64, Precision: PrecisionInt8, Quant: testQuant(8)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(w, BuildOptions{Size: 64, Precision: PrecisionInt8, Quant: testQuant(0)})
	if !bytes.Equal(a, b) || testQuant(0).Key() != testQuant(8).Key() {
		t.Error("8-bit and default builds differ")
	}
	if testQuant(7).Key() == testQuant(8).Key() {
		t.Error("7- and 8-bit Quants share a key")
	}
	q := testQuant(8)
	q.Ranges[13] = math.Nextafter32(q.Ranges[13], 10)
	if q.Key() == testQuant(8).Key() {
		t.Error("a range one ulp apart gives the same key")
	}
}

func TestBuildInt8Refuses(t *testing.T) {
	w := fixtureWeights(t)
	for name, q := range map[string]*Quant{
		"no quant":   nil,
		"short":      {Ranges: []float32{1, 2}},
		"zero range": func() *Quant { q := testQuant(8); q.Ranges[4] = 0; return q }(),
		"inf range":  func() *Quant { q := testQuant(8); q.Ranges[0] = float32(math.Inf(1)); return q }(),
		"6-bit":      testQuant(6),
	} {
		if _, err := Build(w, BuildOptions{Size: 64, Precision: PrecisionInt8, Quant: q}); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v, want ErrOptions", name, err)
		}
	}
}

func TestQuantPointNames(t *testing.T) {
	for size, last := range map[int]string{448: "avgpool", 224: "features.30", 96: "avgpool"} {
		n := QuantPointNames(size)
		if len(n) != NumQuantPoints || n[0] != "features.1" || n[12] != "features.29" || n[13] != last {
			t.Errorf("size %d: %v", size, n)
		}
	}
}
