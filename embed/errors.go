package embed

import "errors"

// Sentinel errors of package embed; test with errors.Is.
var (
	// ErrRuntimeNotFound: no loadable ONNX Runtime library (see RuntimeNotFoundError for where it looked).
	ErrRuntimeNotFound = errors.New("onnx runtime not found")
	// ErrWeights: the VGG16 weights could not be found, downloaded or verified.
	ErrWeights = errors.New("weights unavailable")
	// ErrModel: the ONNX model could not be built, loaded or does not fit the preset.
	ErrModel = errors.New("model unusable")
	// ErrDevice: the requested device cannot be used.
	ErrDevice = errors.New("device unavailable")
)
