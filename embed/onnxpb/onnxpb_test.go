package onnxpb

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ONNX's field numbers (onnx/onnx.proto) for the fields vecimg writes. A
// wrong number would make ONNX Runtime drop the field silently.
func TestFieldNumbers(t *testing.T) {
	want := map[protoreflect.ProtoMessage]map[string]protoreflect.FieldNumber{
		&ModelProto{}: {"ir_version": 1, "producer_name": 2, "producer_version": 3, "domain": 4,
			"model_version": 5, "doc_string": 6, "graph": 7, "opset_import": 8, "metadata_props": 14},
		&OperatorSetIdProto{}:     {"domain": 1, "version": 2},
		&StringStringEntryProto{}: {"key": 1, "value": 2},
		&GraphProto{}: {"node": 1, "name": 2, "initializer": 5, "doc_string": 10,
			"input": 11, "output": 12, "value_info": 13},
		&NodeProto{}: {"input": 1, "output": 2, "name": 3, "op_type": 4, "attribute": 5,
			"doc_string": 6, "domain": 7},
		&AttributeProto{}: {"name": 1, "f": 2, "i": 3, "s": 4, "t": 5, "g": 6, "floats": 7,
			"ints": 8, "strings": 9, "tensors": 10, "graphs": 11, "doc_string": 13, "type": 20,
			"ref_attr_name": 21},
		&TensorProto{}: {"dims": 1, "data_type": 2, "float_data": 4, "int32_data": 5,
			"string_data": 6, "int64_data": 7, "name": 8, "raw_data": 9, "double_data": 10,
			"uint64_data": 11, "doc_string": 12},
		&ValueInfoProto{}:             {"name": 1, "type": 2, "doc_string": 3},
		&TypeProto{}:                  {"tensor_type": 1, "denotation": 6},
		&TypeProto_Tensor{}:           {"elem_type": 1, "shape": 2},
		&TensorShapeProto{}:           {"dim": 1},
		&TensorShapeProto_Dimension{}: {"dim_value": 1, "dim_param": 2, "denotation": 3},
	}
	for msg, fields := range want {
		d := msg.ProtoReflect().Descriptor()
		if d.Fields().Len() != len(fields) {
			t.Errorf("%s has %d fields, the table %d", d.Name(), d.Fields().Len(), len(fields))
		}
		for name, num := range fields {
			f := d.Fields().ByName(protoreflect.Name(name))
			if f == nil {
				t.Errorf("%s.%s missing", d.Name(), name)
			} else if f.Number() != num {
				t.Errorf("%s.%s is field %d, ONNX's is %d", d.Name(), name, f.Number(), num)
			}
		}
	}
	for _, e := range []struct {
		name      string
		got, want int32
	}{
		{"TensorProto.FLOAT", int32(TensorProto_FLOAT), 1},
		{"TensorProto.INT64", int32(TensorProto_INT64), 7},
		{"TensorProto.FLOAT16", int32(TensorProto_FLOAT16), 10},
		{"TensorProto.BFLOAT16", int32(TensorProto_BFLOAT16), 16},
		{"AttributeProto.FLOAT", int32(AttributeProto_FLOAT), 1},
		{"AttributeProto.INT", int32(AttributeProto_INT), 2},
		{"AttributeProto.TENSOR", int32(AttributeProto_TENSOR), 4},
		{"AttributeProto.INTS", int32(AttributeProto_INTS), 7},
	} {
		if e.got != e.want {
			t.Errorf("%s = %d, ONNX's is %d", e.name, e.got, e.want)
		}
	}
}

// The encoding of a small tensor, byte by byte: tag = field<<3 | wire type.
func TestTensorWireFormat(t *testing.T) {
	b, err := proto.Marshal(&TensorProto{
		Dims:     []int64{2},
		DataType: proto.Int32(int32(TensorProto_FLOAT16)),
		Name:     proto.String("w"),
		RawData:  []byte{0x00, 0x3c, 0x00, 0xc0},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x08, 0x02, // dims (1, varint) = 2
		0x10, 0x0a, // data_type (2, varint) = FLOAT16
		0x42, 0x01, 'w', // name (8, bytes)
		0x4a, 0x04, 0x00, 0x3c, 0x00, 0xc0, // raw_data (9, bytes)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("encoded % x, want % x", b, want)
	}
	var back TensorProto
	if err := proto.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.GetName() != "w" || back.GetDataType() != int32(TensorProto_FLOAT16) || !bytes.Equal(back.GetRawData(), want[9:]) {
		t.Fatalf("decoded %v", &back)
	}
}
