// Package vgg turns torchvision VGG16 weights into the ONNX model vecimg
// embeds images with: VGG16's "fc6" vectors (classifier.0, before its ReLU).
//
// It owns two things:
//
//   - Reading .pth state_dicts (LoadPTH, ReadPTH) in both formats torch.save
//     has written: the legacy pickle-plus-storages format of torchvision's
//     vgg16-397923af.pth and the zip format of current torch. The reader is
//     its own small, bounded unpickler (pickle.go) that executes nothing;
//     only the tensors the model needs are read, each straight into a
//     []float32. Shapes are checked against VGG16's structure with channel
//     counts taken from the tensors, so a narrower VGG16 with the same keys
//     loads too.
//   - Building the fc6 graph (Build) as a serialized ONNX ModelProto (types
//     from embed/onnxpb): 13 Conv+Relu, 5 MaxPool, PyTorch's adaptive average
//     pool to 7×7 for any input size that is a multiple of 32, Flatten and
//     Gemm, in float32, half or mixed precision, with a dynamic batch; and
//     its QDQ int8 version (quant.go) from activation ranges the caller
//     measured (Quant): per-channel symmetric int8 (or 7-bit) weights,
//     uint8 activations at zero point 0, int32 biases, which ONNX Runtime's
//     CPU provider fuses into QLinearConv and QGemm. BuildCalibration
//     gives the fp32 graph with the tensors to measure as extra outputs.
//
// Running the model is package embed's job: vgg is pure Go and must not
// import onnxruntime_go (no cgo), nor store, index, cluster or cli. The
// numeric golden tests of the built graph, which need ONNX Runtime, are
// therefore in package embed (embed/graph_golden_test.go); they and this
// package's tests read the committed fixtures in testdata through
// embed/internal/fixture. The fixtures and their PyTorch outputs come from
// scripts/make_model_fixtures.py.
package vgg
