package vgg

import "errors"

// Sentinel errors of package vgg; test with errors.Is. The returned errors
// wrap one of these and say which file, key or option was at fault.
var (
	// ErrNotPTH: the file is neither a zip-format nor a legacy-format PyTorch
	// serialization (or is a kind this reader does not take, such as
	// TorchScript or the pre-2017 tar format).
	ErrNotPTH = errors.New("not a PyTorch .pth file")
	// ErrCorrupt: the file looks like a .pth but is truncated or inconsistent
	// (bad pickle, storage out of bounds, checksum mismatch).
	ErrCorrupt = errors.New("corrupt .pth file")
	// ErrWeights: the state_dict does not hold a usable VGG16 (missing key,
	// wrong rank or shape, channel counts that do not chain, unsupported
	// dtype or layout).
	ErrWeights = errors.New("not usable VGG16 weights")
	// ErrOptions: BuildOptions asks for something the builder cannot do
	// (input size not a positive multiple of 32, unknown precision).
	ErrOptions = errors.New("invalid build options")
)
