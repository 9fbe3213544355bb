package embed

import (
	"errors"
	"fmt"
)

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

// WeightsError says why no VGG16 weights could be had: none were found where
// ResolveWeights looked (Download false), or downloading them failed. It
// matches ErrWeights.
type WeightsError struct {
	File     string // the weights file wanted (VGG16WeightsFile)
	Cached   string // where it was looked for in vecimg's cache, and downloaded to
	Env      string // the environment variable consulted (WeightsEnv)
	Download bool   // a download was tried and failed
	URL      string // the download's address, when Download
	Err      error  // why the download failed, when Download
}

func (e *WeightsError) Error() string {
	if e.Download {
		return fmt.Sprintf("%v: downloading %s: %v", ErrWeights, e.URL, e.Err)
	}
	return fmt.Sprintf("%v: no weights found (none given, $%s unset, none in %s or torch hub's cache)", ErrWeights, e.Env, e.Cached)
}

// Unwrap makes errors.Is(err, ErrWeights) true.
func (e *WeightsError) Unwrap() error { return ErrWeights }

// InputShapeError says that an ONNX model's image input does not take the
// preset's images: Shape is the input's, the preset feeds [N,3,Size,Size].
// It matches ErrModel.
type InputShapeError struct {
	Path  string  // the ONNX file
	Input string  // the input's name
	Shape []int64 // its dimensions (≤ 0: free)
	Size  int     // the preset's image size
}

func (e *InputShapeError) Error() string {
	return fmt.Sprintf("%v: %s input %q has shape %v; the preset feeds [N,3,%d,%d]", ErrModel, e.Path, e.Input, e.Shape, e.Size, e.Size)
}

// Unwrap makes errors.Is(err, ErrModel) true.
func (e *InputShapeError) Unwrap() error { return ErrModel }
