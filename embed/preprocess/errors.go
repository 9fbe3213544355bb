package preprocess

import (
	"errors"
	"fmt"
)

// Sentinel errors. A *BadImageError wraps exactly one of the first eight, so
// callers can count bad files by kind with errors.Is.
var (
	// ErrEmpty: the file has no bytes.
	ErrEmpty = errors.New("empty file")
	// ErrNotImage: the bytes are not in any image format (text, HTML, random data).
	ErrNotImage = errors.New("not an image")
	// ErrUnsupported: an image format, or a feature of one, that cannot be decoded.
	ErrUnsupported = errors.New("unsupported image format")
	// ErrTruncated: the file ends before the image data does.
	ErrTruncated = errors.New("truncated image")
	// ErrCorrupt: the image data is malformed.
	ErrCorrupt = errors.New("corrupt image")
	// ErrTooLarge: the header claims more pixels (or the file has more bytes) than Limits allow.
	ErrTooLarge = errors.New("image too large")
	// ErrDecoderPanic: a decoder panicked on this input; the panic was recovered.
	ErrDecoderPanic = errors.New("image decoder panicked")
	// ErrUnreadable: the file could not be opened or read.
	ErrUnreadable = errors.New("unreadable file")

	// ErrUnknownPreset: Lookup was given a name that is not a preset.
	ErrUnknownPreset = errors.New("unknown preprocessing preset")
	// ErrTensorSize: the destination slice given to Fill has the wrong length.
	ErrTensorSize = errors.New("destination tensor has the wrong length")
	// ErrEmptyImage: Fill was given an image with no pixels.
	ErrEmptyImage = errors.New("image has no pixels")
)

// BadImageError reports a file that cannot be turned into pixels. Error()
// is a single line, "PATH: REASON", fit to show a user as is.
type BadImageError struct {
	Path   string // the file path, or the name passed to Decode
	Format string // the detected format ("jpeg", "png", ...), "" when unknown
	Reason string // one line for humans, e.g. "truncated JPEG"
	Kind   error  // one of the sentinel errors above
	Err    error  // the underlying cause, if any
	// PixelLimit is the limit (Limits.MaxPixels) the image's header was
	// over, when that is why it was refused (Kind ErrTooLarge); 0 otherwise.
	PixelLimit int64
}

func (e *BadImageError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// Unwrap exposes both the sentinel kind and the underlying cause to errors.Is/As.
func (e *BadImageError) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

func badImage(path, format string, kind error, cause error, reason string, args ...any) *BadImageError {
	return &BadImageError{Path: path, Format: format, Reason: fmt.Sprintf(reason, args...), Kind: kind, Err: cause}
}
