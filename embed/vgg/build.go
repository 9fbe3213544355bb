package vgg

import (
	"fmt"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/vecimg/vecimg/embed/onnxpb"
)

// BuilderVersion changes whenever Build's output changes for the same
// weights and options; model caches include it in their key.
const BuilderVersion = 1

// Names of the built model's input and output tensors.
const (
	// InputName is the image batch: float32 [N, 3, Size, Size].
	InputName = "input"
	// OutputName is the fc6 vectors: float32 [N, Dim()].
	OutputName = "fc6"
)

// Precisions Build accepts.
const (
	PrecisionFP32 = "fp32"
	// PrecisionFP16 stores weights and computes activations in IEEE half
	// precision; the input is cast to half inside the model and fc6 back
	// to float32, so the model's interface is the FP32 model's.
	PrecisionFP16 = "fp16"
	// PrecisionMixed is PrecisionFP16 for the convolutions and pools, with
	// fc6 in float32: the pooled features are cast to float32 and
	// classifier.0's weights stay float32. fc6's 25088-long dot products are
	// where half precision loses most when a provider accumulates in half
	// (ONNX Runtime's CPU provider does), for under 1% of VGG16's work.
	PrecisionMixed = "mixed"
)

// DefaultSize is the input side Build uses when BuildOptions.Size is 0: the
// recipe's Resize(448).
const DefaultSize = 448

const (
	opsetVersion = 17 // ONNX operator set: Conv, Relu, MaxPool, AveragePool, MatMul, Flatten, Gemm, Cast
	irVersion    = 8  // ONNX IR version of opset 17
	// maxModelBytes is protobuf's 2 GiB message limit, which ONNX Runtime
	// enforces when parsing. The FP32 VGG16 fc6 model is about 470 MB.
	maxModelBytes = math.MaxInt32
)

// BuildOptions say how to build the fc6 graph. The zero value builds the
// FP32 model for 448×448 inputs.
type BuildOptions struct {
	// Size is the side of the square input in pixels: a positive multiple
	// of 32 (VGG16 halves it five times). 0 means DefaultSize.
	Size int
	// Precision is PrecisionFP32, PrecisionFP16, PrecisionMixed or
	// PrecisionInt8; "" means FP32.
	Precision string
	// Quant is required by PrecisionInt8 and ignored otherwise.
	Quant *Quant
}

func (o BuildOptions) withDefaults() (BuildOptions, error) {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.Precision == "" {
		o.Precision = PrecisionFP32
	}
	if o.Size < 0 || o.Size%32 != 0 || o.Size > 1<<15 {
		return o, fmt.Errorf("%w: input size %d: must be a positive multiple of 32 (e.g. 224 or 448), at most 32768", ErrOptions, o.Size)
	}
	if o.Precision == PrecisionInt8 {
		return o, o.Quant.check()
	}
	if o.Precision != PrecisionFP32 && o.Precision != PrecisionFP16 && o.Precision != PrecisionMixed {
		return o, fmt.Errorf("%w: precision %q: use %q, %q, %q or %q", ErrOptions, o.Precision, PrecisionFP32, PrecisionFP16, PrecisionMixed, PrecisionInt8)
	}
	return o, nil
}

// Build returns the serialized ONNX model (a ModelProto) computing VGG16's
// fc6 vectors from w: 13 Conv+Relu, 5 MaxPool, the adaptive average pool to
// 7×7, Flatten and classifier.0 as Gemm, without fc6's ReLU. The batch
// dimension is dynamic ("batch"); the spatial size is o.Size.
//
// Weight tensors are stored inline as raw little-endian data; float32 ones
// are serialised straight from w's slices, so peak memory is about the
// weights plus the returned bytes (about 0.94 GB for VGG16 in FP32).
func Build(w *Weights, o BuildOptions) ([]byte, error) {
	m, err := BuildModel(w, o)
	if err != nil {
		return nil, err
	}
	if n := proto.Size(m); n > maxModelBytes {
		return nil, fmt.Errorf("%w: the model would be %d bytes, over protobuf's 2 GiB limit", ErrOptions, n)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("serialising the fc6 model: %w", err)
	}
	return b, nil
}

// BuildModel is Build without the serialisation. Its float32 initializers
// share memory with w: keep w unchanged while the message is in use.
func BuildModel(w *Weights, o BuildOptions) (*onnxpb.ModelProto, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if o.Precision == PrecisionInt8 {
		return buildInt8(w, o)
	}
	b := &graphBuilder{
		g:    &onnxpb.GraphProto{Name: proto.String("vgg16_fc6")},
		fp16: o.Precision != PrecisionFP32,
	}
	size := int64(o.Size)
	b.g.Input = []*onnxpb.ValueInfoProto{tensorInfo(InputName, dimParam("batch"), dimValue(3), dimValue(size), dimValue(size))}
	b.g.Output = []*onnxpb.ValueInfoProto{tensorInfo(OutputName, dimParam("batch"), dimValue(int64(w.Dim())))}

	x := InputName
	if b.fp16 {
		x = b.node("Cast", "input.fp16", []string{x}, intAttr("to", int64(onnxpb.TensorProto_FLOAT16)))
	}
	for i, l := range w.Convs {
		idx := convIndices[i]
		name := fmt.Sprintf("features.%d", idx)
		wt := b.initializer(name+".weight", l.Weight, int64(l.Out), int64(l.In), 3, 3)
		bs := b.initializer(name+".bias", l.Bias, int64(l.Out))
		x = b.node("Conv", name, []string{x, wt, bs},
			intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 1, 1))
		x = b.node("Relu", fmt.Sprintf("features.%d", idx+1), []string{x})
		if poolAfter[i] {
			x = b.node("MaxPool", fmt.Sprintf("features.%d", idx+2), []string{x},
				intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2))
		}
	}
	x = b.adaptiveAvgPool(x, o.Size/32)
	if o.Precision == PrecisionMixed { // fc6 in float32 from here on
		x = b.node("Cast", "avgpool.fp32", []string{x}, intAttr("to", int64(onnxpb.TensorProto_FLOAT)))
		b.fp16 = false
	}
	x = b.node("Flatten", "flatten", []string{x}, intAttr("axis", 1))
	fc := b.initializer(fc6Key+".weight", w.FC6.Weight, int64(w.FC6.Out), int64(w.FC6.In))
	fcb := b.initializer(fc6Key+".bias", w.FC6.Bias, int64(w.FC6.Out))
	if b.fp16 {
		x = b.node("Gemm", "fc6.fp16", []string{x, fc, fcb}, intAttr("transB", 1))
		b.node("Cast", OutputName, []string{x}, intAttr("to", int64(onnxpb.TensorProto_FLOAT)))
	} else {
		b.node("Gemm", OutputName, []string{x, fc, fcb}, intAttr("transB", 1))
	}

	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(irVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opsetVersion)}},
		ProducerName:    proto.String("vecimg"),
		ProducerVersion: proto.String("vgg-builder-" + strconv.Itoa(BuilderVersion)),
		DocString: proto.String(fmt.Sprintf("VGG16 fc6 (classifier.0 before its ReLU) of a torchvision state_dict: "+
			"input %s [batch, 3, %d, %d] float32, output %s [batch, %d] float32, %s compute", InputName, size, size, OutputName, w.Dim(), o.Precision)),
		Graph: b.g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String("vecimg.builder_version"), Value: proto.String(strconv.Itoa(BuilderVersion))},
			{Key: proto.String("vecimg.size"), Value: proto.String(strconv.Itoa(o.Size))},
			{Key: proto.String("vecimg.precision"), Value: proto.String(o.Precision)},
			{Key: proto.String("vecimg.dim"), Value: proto.String(strconv.Itoa(w.Dim()))},
		},
	}, nil
}

// adaptiveAvgPool appends PyTorch's AdaptiveAvgPool2d((7, 7)) for an f×f
// feature map: nothing when f is 7, an AveragePool when 7 divides f (the
// windows then tile the map exactly), and otherwise two MatMuls with constant
// averaging matrices, which reproduce the uneven and overlapping windows
// start = floor(i·f/7), end = ceil((i+1)·f/7) of PyTorch exactly.
func (b *graphBuilder) adaptiveAvgPool(x string, f int) string {
	switch {
	case f == pooledSize:
		return x
	case f%pooledSize == 0:
		k := int64(f / pooledSize)
		return b.node("AveragePool", "avgpool", []string{x}, intsAttr("kernel_shape", k, k), intsAttr("strides", k, k))
	}
	rows := adaptivePoolMatrix(f) // [7, f]
	cols := make([]float32, len(rows))
	for i := range pooledSize {
		for j := range f {
			cols[j*pooledSize+i] = rows[i*f+j]
		}
	}
	pc := b.initializer("avgpool.cols", cols, int64(f), pooledSize)
	pr := b.initializer("avgpool.rows", rows, pooledSize, int64(f))
	// [N,C,f,f]·[f,7] averages along width; [7,f]·[N,C,f,7] along height.
	x = b.node("MatMul", "avgpool.width", []string{x, pc})
	return b.node("MatMul", "avgpool", []string{pr, x})
}

// adaptivePoolMatrix returns the row-major [7, f] matrix whose row i averages
// the inputs of PyTorch's adaptive-pool window i.
func adaptivePoolMatrix(f int) []float32 {
	m := make([]float32, pooledSize*f)
	for i := range pooledSize {
		start := i * f / pooledSize
		end := ((i+1)*f + pooledSize - 1) / pooledSize
		for j := start; j < end; j++ {
			m[i*f+j] = 1 / float32(end-start)
		}
	}
	return m
}

// graphBuilder appends nodes and initializers to a graph.
type graphBuilder struct {
	g    *onnxpb.GraphProto
	fp16 bool
}

// node appends op with the given inputs and one output named name (the
// node is named the same) and returns the output's name.
func (b *graphBuilder) node(op, name string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	b.g.Node = append(b.g.Node, &onnxpb.NodeProto{
		Name:      proto.String(name),
		OpType:    proto.String(op),
		Input:     inputs,
		Output:    []string{name},
		Attribute: attrs,
	})
	return name
}

// initializer adds a constant tensor in the model's compute precision and
// returns its name.
func (b *graphBuilder) initializer(name string, data []float32, dims ...int64) string {
	t := &onnxpb.TensorProto{Name: proto.String(name), Dims: dims}
	if b.fp16 {
		t.DataType = proto.Int32(int32(onnxpb.TensorProto_FLOAT16))
		t.RawData = rawFloat16(data)
	} else {
		t.DataType = proto.Int32(int32(onnxpb.TensorProto_FLOAT))
		t.RawData = rawFloat32(data)
	}
	b.g.Initializer = append(b.g.Initializer, t)
	return name
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func intsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func dimValue(v int64) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
}

func dimParam(p string) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: p}}
}

// tensorInfo declares a float32 graph input or output.
func tensorInfo(name string, dims ...*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}
