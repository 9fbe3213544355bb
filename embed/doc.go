// Package embed turns image files into feature vectors: it finds and loads
// ONNX Runtime, builds (through embed/vgg) and caches the VGG16 fc6 model from
// torchvision weights, resolves the weights like torchvision does, picks the
// device (CPU or CUDA), and runs the ingest pipeline — walk, read and hash,
// decode and preprocess in parallel (embed/preprocess), batched inference,
// hand-off to a Sink the caller provides. For int8 models it measures
// activation ranges on calibration images through the fp32 graph's
// intermediate outputs (Calibrate) and detects the CPU features that decide
// the weight width (DetectCPU); int8measured.go holds what bench/int8.sh
// measured per kind of CPU.
//
// It is the only package that imports onnxruntime_go (cgo). It must not import
// store, index, cluster or cli: the store reaches it through the Sink
// interface, and nothing here prints — progress and bad files are reported
// through callbacks.
package embed
