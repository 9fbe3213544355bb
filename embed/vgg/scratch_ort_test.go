//go:build ort

package vgg

import (
	"os"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"

	"github.com/vecimg/vecimg/embed/onnxpb"
)

func TestScratchFP16Kernels(t *testing.T) {
	requireORT(t)
	w, err := LoadPTH(fixturePath("vgg16_w32_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	for _, prec := range []string{"fp32", "fp16"} {
		m, _ := Build(w, BuildOptions{Size: 96, Precision: prec})
		opts, _ := ort.NewSessionOptions()
		out := "/tmp/opt_" + prec + ".onnx"
		opts.SetOptimizedModelFilePath(out)
		opts.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll)
		s, err := ort.NewDynamicAdvancedSessionWithONNXData(m, []string{InputName}, []string{OutputName}, opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Destroy()
		b, _ := os.ReadFile(out)
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(b, &mp); err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, n := range mp.Graph.Node {
			ops = append(ops, n.GetDomain()+":"+n.GetOpType())
		}
		t.Log(prec, len(ops), ops)
	}
}
