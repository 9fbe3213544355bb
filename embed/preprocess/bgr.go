package preprocess

import (
	"image"
	"image/color"
)

// BGR is an in-memory image of 8-bit samples stored as B, G, R triplets, row
// after row: the layout of the array cv2.imread returns. Decode returns one
// when it had to reorient an image; ToBGR converts any image to one.
type BGR struct {
	Pix    []uint8         // B, G, R of pixel (x, y) at Pix[(y-Rect.Min.Y)*Stride+(x-Rect.Min.X)*3:]
	Stride int             // bytes between vertically adjacent pixels
	Rect   image.Rectangle // the image's bounds
}

// NewBGR returns a zeroed (black) BGR image with bounds r.
func NewBGR(r image.Rectangle) *BGR {
	w, h := r.Dx(), r.Dy()
	if w < 0 || h < 0 {
		w, h = 0, 0
	}
	return &BGR{Pix: make([]uint8, 3*w*h), Stride: 3 * w, Rect: r}
}

// ColorModel implements image.Image.
func (p *BGR) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (p *BGR) Bounds() image.Rectangle { return p.Rect }

// PixOffset returns the index of pixel (x, y)'s blue sample in Pix.
func (p *BGR) PixOffset(x, y int) int {
	return (y-p.Rect.Min.Y)*p.Stride + (x-p.Rect.Min.X)*3
}

// At implements image.Image.
func (p *BGR) At(x, y int) color.Color {
	if !(image.Point{X: x, Y: y}.In(p.Rect)) {
		return color.RGBA{}
	}
	i := p.PixOffset(x, y)
	s := p.Pix[i : i+3 : i+3]
	return color.RGBA{R: s[2], G: s[1], B: s[0], A: 0xff}
}

// ToBGR returns img's pixels as cv2.imread (IMREAD_COLOR) would give them:
// 8-bit, three channels, alpha dropped, 16-bit samples reduced to their high
// byte, gray replicated, and JPEG chroma upsampled the way libjpeg-turbo does.
// The result's bounds start at (0, 0).
func ToBGR(img image.Image) *BGR {
	b := img.Bounds()
	out := NewBGR(image.Rect(0, 0, b.Dx(), b.Dy()))
	var cv converter
	cv.region(out.Pix, out.Stride, img, b)
	return out
}
