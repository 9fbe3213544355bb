package embed

import (
	"errors"
	"fmt"
	"image"
	"os"

	"github.com/vecimg/vecimg/embed/preprocess"
	"github.com/vecimg/vecimg/internal/phash"
)

// Preparer turns file bytes into the model's input. NewPreparer returns the
// one for a named preset (package embed/preprocess); tests may supply their own.
// Its methods are called from several goroutines at once.
type Preparer interface {
	Name() string // the preset's name, recorded in the store
	Size() int    // the square input size S it produces
	// DecodeFill decodes an image file's bytes and writes its 3×S×S float32
	// input into dst. It returns the image's size in pixels; its error text is
	// a one-line reason shown to the user.
	DecodeFill(dst []float32, path string, data []byte) (width, height int, err error)
}

// HashPreparer is a Preparer that can also hash the image it decodes.
type HashPreparer interface {
	Preparer
	// DecodeFillHash does what DecodeFill does, writing the same input into
	// dst, and also returns the perceptual hashes of the whole decoded image.
	DecodeFillHash(dst []float32, path string, data []byte) (width, height int, h phash.Hashes, err error)
}

// DefaultMaxPixels is the default decompression-bomb limit (pixels per image).
const DefaultMaxPixels = preprocess.DefaultMaxPixels

// PresetNames lists the preprocessing presets.
func PresetNames() []string { return preprocess.Names() }

// NewPreparer returns the Preparer of a named preset (blitz, imagenet) that
// refuses images above maxPixels (0: the default).
func NewPreparer(preset string, maxPixels int64) (Preparer, error) {
	p, err := preprocess.Lookup(preset)
	if err != nil {
		return nil, err
	}
	return presetPrep{p: p, lim: preprocess.Limits{MaxPixels: maxPixels}}, nil
}

type presetPrep struct {
	p   preprocess.Preset
	lim preprocess.Limits
}

func (pp presetPrep) Name() string { return pp.p.Name }
func (pp presetPrep) Size() int    { return pp.p.InputSize }

func (pp presetPrep) DecodeFill(dst []float32, path string, data []byte) (int, int, error) {
	info, err := pp.p.DecodeFill(dst, data, path, pp.lim)
	if err != nil {
		return 0, 0, reason(err)
	}
	return info.Width, info.Height, nil
}

// DecodeFillHash decodes the whole image (preprocess.Decode, where
// DecodeFill may skip the pixels outside blitz's centre crop), fills dst
// from it with the preset's Fill, which gives the same input as DecodeFill
// (preprocess documents and tests that), and hashes it.
func (pp presetPrep) DecodeFillHash(dst []float32, path string, data []byte) (int, int, phash.Hashes, error) {
	img, info, err := preprocess.Decode(data, path, pp.lim)
	if err != nil {
		return 0, 0, phash.Hashes{}, reason(err)
	}
	if err := pp.p.Fill(dst, img); err != nil {
		return 0, 0, phash.Hashes{}, reason(err)
	}
	return info.Width, info.Height, HashImage(img), nil
}

// HashImage returns the perceptual hashes of a decoded image.
func HashImage(img image.Image) phash.Hashes {
	if b, ok := img.(*preprocess.BGR); ok {
		return phash.FromBGR(b.Pix, b.Stride, b.Rect.Dx(), b.Rect.Dy())
	}
	return phash.FromImage(img)
}

// HashFile decodes an image file's bytes (refusing images above maxPixels;
// 0: the default) and returns its perceptual hashes; the error is a
// one-line reason.
func HashFile(path string, data []byte, maxPixels int64) (phash.Hashes, error) {
	img, _, err := preprocess.Decode(data, path, preprocess.Limits{MaxPixels: maxPixels})
	if err != nil {
		return phash.Hashes{}, reason(err)
	}
	return HashImage(img), nil
}

// reason turns a preprocessing error into its one-line reason (the caller
// names the file); errors.As still finds the *preprocess.BadImageError.
func reason(err error) error {
	var bad *preprocess.BadImageError
	if errors.As(err, &bad) {
		return reasonError{bad}
	}
	return err
}

// reasonError is a BadImageError told by its reason alone.
type reasonError struct{ bad *preprocess.BadImageError }

func (e reasonError) Error() string { return e.bad.Reason }
func (e reasonError) Unwrap() error { return e.bad }

// EmbedFile computes the vector of one image file with a session and preset
// (a query image that is not in the store).
func EmbedFile(r Runner, prep Preparer, path string) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	S := prep.Size()
	in := make([]float32, 3*S*S)
	if _, _, err := prep.DecodeFill(in, path, data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out, err := r.Run(in, 1, nil)
	if err != nil {
		return nil, err
	}
	if reason := checkVector(out); reason != "" {
		return nil, fmt.Errorf("%s: %s", path, reason)
	}
	return out, nil
}

// badDecode is the BadFile of an image that did not decode: the decoder's
// message, and the pixel limit when that is what refused it.
func badDecode(path string, err error) BadFile {
	b := BadFile{Path: path, Reason: err.Error()}
	var be *preprocess.BadImageError
	if errors.As(err, &be) {
		b.PixelLimit = be.PixelLimit
	}
	return b
}
