package vgg

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/vecimg/vecimg/embed/onnxpb"
)

// PrecisionInt8 builds the QDQ int8 graph: per-output-channel symmetric
// int8 weights (zero point 0), uint8 activations with zero point 0 after
// each convolution (the saturation at 0 is the ReLU), int32 biases at
// x_scale·w_scale, and fc6 with a float32 output. ONNX Runtime's CPU
// provider fuses each DequantizeLinear→Conv→QuantizeLinear group into
// QLinearConv and fc6's into QGemm. It needs BuildOptions.Quant: the
// activation ranges measured on calibration images (package embed does
// that).
const PrecisionInt8 = "int8"

// QuantVersion changes whenever the int8 graph changes for the same weights
// and Quant; it is part of Quant.Key.
const QuantVersion = 1

// NumQuantPoints is the number of activation ranges an int8 build needs:
// the output of each of the 13 convolutions (after its ReLU) and fc6's
// input (the adaptive average pool's output).
const NumQuantPoints = 14

// Quant says how to quantise: the activation ranges and the weights' width.
// Everything the int8 graph depends on besides the weights and the input
// size is here, so the same Quant rebuilds the same bytes.
type Quant struct {
	// Ranges are the upper ends of the NumQuantPoints activation ranges
	// (the lower end is 0: every quantised activation follows a ReLU),
	// conv outputs in order, then fc6's input. Each must be positive and
	// finite. The uint8 scale of point i is Ranges[i]/255.
	Ranges []float32
	// WeightBits is 8 (int8 weights in [-127, 127]) or 7 ([-63, 63]: on
	// CPUs without VNNI the u8×s8 pair products of AVX2's vpmaddubsw
	// saturate int16 unless the weights keep to 7 bits). 0 means 8.
	WeightBits int
}

func (q *Quant) check() error {
	if q == nil {
		return fmt.Errorf("%w: precision %s needs activation ranges (calibration)", ErrOptions, PrecisionInt8)
	}
	if len(q.Ranges) != NumQuantPoints {
		return fmt.Errorf("%w: %d activation ranges, the int8 graph needs %d", ErrOptions, len(q.Ranges), NumQuantPoints)
	}
	for i, r := range q.Ranges {
		if !(r > 0) || math.IsInf(float64(r), 0) {
			return fmt.Errorf("%w: activation range %d is %v: must be positive and finite", ErrOptions, i, r)
		}
	}
	if q.WeightBits != 0 && q.WeightBits != 8 && q.WeightBits != 7 {
		return fmt.Errorf("%w: %d-bit weights: use 8 or 7", ErrOptions, q.WeightBits)
	}
	return nil
}

// Bits is the weight width: WeightBits, or 8 when it is 0.
func (q *Quant) Bits() int {
	if q.WeightBits == 0 {
		return 8
	}
	return q.WeightBits
}

// Key identifies q: the first 16 hex digits of the SHA-256 of QuantVersion,
// the weight width and the ranges' float32 bits. Two Quants with the same
// Key build the same graph from the same weights.
func (q *Quant) Key() string {
	h := sha256.New()
	var b [4]byte
	fmt.Fprintf(h, "vgg-int8-v%d|w%d|", QuantVersion, q.Bits())
	for _, r := range q.Ranges {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(r))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// QuantPointNames are the fp32 graph's tensors whose values calibrate the
// int8 graph, in Quant.Ranges' order, for input side size: the 13 ReLU
// outputs ("features.1" … "features.29") and the adaptive pool's output.
func QuantPointNames(size int) []string {
	names := make([]string, 0, NumQuantPoints)
	for _, idx := range convIndices {
		names = append(names, "features."+strconv.Itoa(idx+1))
	}
	if size/32 == pooledSize {
		// No pool node: fc6's input is the last max-pool's output.
		return append(names, "features."+strconv.Itoa(convIndices[12]+2))
	}
	return append(names, "avgpool")
}

// BuildCalibration returns the serialized FP32 graph for o.Size (as Build
// with PrecisionFP32) with the QuantPointNames tensors added as outputs
// after fc6, for measuring activation ranges. Its nodes and weights are the
// FP32 model's.
func BuildCalibration(w *Weights, o BuildOptions) ([]byte, error) {
	o.Precision = PrecisionFP32
	o.Quant = nil
	m, err := BuildModel(w, o)
	if err != nil {
		return nil, err
	}
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	for _, n := range QuantPointNames(o.Size) {
		m.Graph.Output = append(m.Graph.Output, &onnxpb.ValueInfoProto{
			Name: proto.String(n),
			Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
				ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			}}},
		})
	}
	return proto.Marshal(m)
}

// buildInt8 is BuildModel for PrecisionInt8 (o already checked).
func buildInt8(w *Weights, o BuildOptions) (*onnxpb.ModelProto, error) {
	q := o.Quant
	b := &graphBuilder{g: &onnxpb.GraphProto{Name: proto.String("vgg16_fc6_int8")}}
	size := int64(o.Size)
	b.g.Input = []*onnxpb.ValueInfoProto{tensorInfo(InputName, dimParam("batch"), dimValue(3), dimValue(size), dimValue(size))}
	b.g.Output = []*onnxpb.ValueInfoProto{tensorInfo(OutputName, dimParam("batch"), dimValue(int64(w.Dim())))}
	zp := b.scalarUint8("act.zero_point", 0)

	// The image is in [0, 1]: ToTensor's k/255 steps, give or take the
	// resize's interpolation.
	xScale := float32(1) / 255
	xs := b.scalarFloat("input.scale", xScale)
	x := b.node("QuantizeLinear", "input.q", []string{InputName, xs, zp})
	for i, l := range w.Convs {
		name := "features." + strconv.Itoa(convIndices[i])
		xd := b.node("DequantizeLinear", name+".input", []string{x, xs, zp})
		wd, wScale := b.int8Weight(name+".weight", l, q.Bits(), int64(l.Out), int64(l.In), 3, 3)
		bd := b.int32Bias(name+".bias", l.Bias, xScale, wScale)
		y := b.node("Conv", name, []string{xd, wd, bd},
			intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 1, 1))
		// uint8 with zero point 0 saturates negatives to 0: the ReLU.
		xScale = q.Ranges[i] / 255
		xs = b.scalarFloat(name+".output.scale", xScale)
		x = b.node("QuantizeLinear", "features."+strconv.Itoa(convIndices[i]+1), []string{y, xs, zp})
		if poolAfter[i] {
			// The max of uint8 codes at one scale is the code of the max.
			x = b.node("MaxPool", "features."+strconv.Itoa(convIndices[i]+2), []string{x},
				intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
		}
	}
	x = b.node("DequantizeLinear", "pool5", []string{x, xs, zp})
	x = b.adaptiveAvgPool(x, o.Size/32) // in float32: under 0.1% of the work
	x = b.node("Flatten", "flatten", []string{x}, intAttr("axis", 1))
	xScale = q.Ranges[NumQuantPoints-1] / 255
	xs = b.scalarFloat("fc6.input.scale", xScale)
	x = b.node("QuantizeLinear", "fc6.input.q", []string{x, xs, zp})
	x = b.node("DequantizeLinear", "fc6.input", []string{x, xs, zp})
	wd, wScale := b.int8Weight(fc6Key+".weight", w.FC6, q.Bits(), int64(w.FC6.Out), int64(w.FC6.In))
	bd := b.int32Bias(fc6Key+".bias", w.FC6.Bias, xScale, wScale)
	b.node("Gemm", OutputName, []string{x, wd, bd}, intAttr("transB", 1))

	ranges := make([]string, len(q.Ranges))
	for i, r := range q.Ranges {
		ranges[i] = strconv.FormatFloat(float64(r), 'g', -1, 32)
	}
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(irVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opsetVersion)}},
		ProducerName:    proto.String("vecimg"),
		ProducerVersion: proto.String("vgg-builder-" + strconv.Itoa(BuilderVersion) + "-int8-" + strconv.Itoa(QuantVersion)),
		DocString: proto.String(fmt.Sprintf("VGG16 fc6 (classifier.0 before its ReLU) of a torchvision state_dict, QDQ int8: "+
			"input %s [batch, 3, %d, %d] float32, output %s [batch, %d] float32; %d-bit per-channel weights, uint8 activations",
			InputName, size, size, OutputName, w.Dim(), q.Bits())),
		Graph: b.g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String("vecimg.builder_version"), Value: proto.String(strconv.Itoa(BuilderVersion))},
			{Key: proto.String("vecimg.quant_version"), Value: proto.String(strconv.Itoa(QuantVersion))},
			{Key: proto.String("vecimg.size"), Value: proto.String(strconv.Itoa(o.Size))},
			{Key: proto.String("vecimg.precision"), Value: proto.String(PrecisionInt8)},
			{Key: proto.String("vecimg.weight_bits"), Value: proto.String(strconv.Itoa(q.Bits()))},
			{Key: proto.String("vecimg.ranges"), Value: proto.String(strings.Join(ranges, ","))},
			{Key: proto.String("vecimg.dim"), Value: proto.String(strconv.Itoa(w.Dim()))},
		},
	}, nil
}

// int8Weight adds l's weights quantised per output channel (symmetric,
// zero point 0, to bits bits) with their DequantizeLinear, and returns the
// dequantised tensor's name and the per-channel scales.
func (b *graphBuilder) int8Weight(name string, l Layer, bits int, dims ...int64) (string, []float32) {
	qmax := float64(int(1)<<(bits-1) - 1) // 127 or 63
	per := len(l.Weight) / l.Out
	codes := make([]byte, len(l.Weight))
	scales := make([]float32, l.Out)
	for c := range l.Out {
		row := l.Weight[c*per : (c+1)*per]
		var m float32
		for _, v := range row {
			m = max(m, float32(math.Abs(float64(v))))
		}
		s := m / float32(qmax)
		if !(s > 0) || math.IsInf(float64(s), 0) {
			s = 1 // an all-zero channel: any scale gives code 0
		}
		scales[c] = s
		for j, v := range row {
			k := math.RoundToEven(float64(v) / float64(s))
			k = min(max(k, -qmax), qmax)
			codes[c*per+j] = byte(int8(k))
		}
	}
	b.rawInit(name+".int8", onnxpb.TensorProto_INT8, codes, dims...)
	b.rawInit(name+".scale", onnxpb.TensorProto_FLOAT, rawFloat32(scales), int64(l.Out))
	b.rawInit(name+".zero_point", onnxpb.TensorProto_INT8, make([]byte, l.Out), int64(l.Out))
	return b.node("DequantizeLinear", name, []string{name + ".int8", name + ".scale", name + ".zero_point"}, intAttr("axis", 0)), scales
}

// int32Bias adds bias quantised at scale xScale·wScale[c] (zero point 0),
// the scale the fused kernels' int32 accumulators have, with its
// DequantizeLinear, and returns the dequantised tensor's name.
func (b *graphBuilder) int32Bias(name string, bias []float32, xScale float32, wScale []float32) string {
	scales := make([]float32, len(bias))
	codes := make([]byte, 4*len(bias))
	for c, v := range bias {
		s := xScale * wScale[c]
		scales[c] = s
		k := math.RoundToEven(float64(v) / float64(s))
		k = min(max(k, math.MinInt32), math.MaxInt32)
		binary.LittleEndian.PutUint32(codes[4*c:], uint32(int32(k)))
	}
	n := int64(len(bias))
	b.rawInit(name+".int32", onnxpb.TensorProto_INT32, codes, n)
	b.rawInit(name+".scale", onnxpb.TensorProto_FLOAT, rawFloat32(scales), n)
	b.rawInit(name+".zero_point", onnxpb.TensorProto_INT32, make([]byte, 4*n), n)
	return b.node("DequantizeLinear", name, []string{name + ".int32", name + ".scale", name + ".zero_point"}, intAttr("axis", 0))
}

func (b *graphBuilder) scalarFloat(name string, v float32) string {
	b.rawInit(name, onnxpb.TensorProto_FLOAT, rawFloat32([]float32{v}))
	return name
}

func (b *graphBuilder) scalarUint8(name string, v uint8) string {
	b.rawInit(name, onnxpb.TensorProto_UINT8, []byte{v})
	return name
}

// rawInit adds an initializer of type t holding raw little-endian data.
func (b *graphBuilder) rawInit(name string, t onnxpb.TensorProto_DataType, raw []byte, dims ...int64) {
	b.g.Initializer = append(b.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(t)), RawData: raw,
	})
}
