package embed

import (
	"errors"
	"fmt"
	"image"
	"os"

	"github.com/vecimg/vecimg/embed/preprocess"
)

// Preparer turns file bytes into the model's input. NewPreparer returns the
// one for a named preset (package embed/preprocess); tests may supply their own.
// Its methods are called from several goroutines at once.
type Preparer interface {
	Name() string // the preset's name, recorded in the store
	Size() int    // the square input size S it produces
	// Decode reads an image and returns it with its size in pixels. The error
	// text is a one-line reason shown to the user.
	Decode(path string, data []byte) (img image.Image, width, height int, err error)
	// Fill writes the 3×S×S float32 input for img into dst.
	Fill(dst []float32, img image.Image) error
}

// DefaultMaxPixels is the default decompression-bomb limit (see --max-pixels).
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

func (pp presetPrep) Decode(path string, data []byte) (image.Image, int, int, error) {
	img, info, err := preprocess.Decode(data, path, pp.lim)
	if err != nil {
		var bad *preprocess.BadImageError
		if errors.As(err, &bad) {
			return nil, 0, 0, errors.New(bad.Reason)
		}
		return nil, 0, 0, err
	}
	return img, info.Width, info.Height, nil
}

func (pp presetPrep) Fill(dst []float32, img image.Image) error { return pp.p.Fill(dst, img) }

// EmbedFile computes the vector of one image file with a session and preset
// (a query image that is not in the store).
func EmbedFile(r Runner, prep Preparer, path string) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, _, _, err := prep.Decode(path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	S := prep.Size()
	in := make([]float32, 3*S*S)
	if err := prep.Fill(in, img); err != nil {
		return nil, fmt.Errorf("%s: preprocessing: %v", path, err)
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
