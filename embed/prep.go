package embed

import "image"

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
