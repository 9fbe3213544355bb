package preprocess

import (
	"image"
	"image/color"
)

// converter turns a rectangle of any decoded image into packed B, G, R
// bytes, following cv2.imread's IMREAD_COLOR conventions. It keeps scratch
// buffers between calls and is not safe for concurrent use.
type converter struct {
	cbSum, crSum []int32 // chroma column sums of one row
	cbRow, crRow []uint8 // upsampled chroma of one row
}

// region writes the pixels of img inside r (absolute coordinates, within
// img.Bounds()) to dst as rows of 3*r.Dx() bytes, stride bytes apart.
func (cv *converter) region(dst []uint8, stride int, img image.Image, r image.Rectangle) {
	r = r.Intersect(img.Bounds())
	if r.Empty() {
		return
	}
	w := r.Dx()
	switch m := img.(type) {
	case *BGR:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			i := m.PixOffset(r.Min.X, y)
			copy(dst[(y-r.Min.Y)*stride:][:3*w], m.Pix[i:i+3*w])
		}
	case *image.YCbCr:
		cv.yccRegion(dst, stride, m, r)
	case *image.NYCbCrA:
		cv.yccRegion(dst, stride, &m.YCbCr, r)
	case *image.Gray:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			src := m.Pix[m.PixOffset(r.Min.X, y):][:w]
			d := dst[(y-r.Min.Y)*stride:][:3*w]
			for x, v := range src {
				d[3*x], d[3*x+1], d[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			src := m.Pix[m.PixOffset(r.Min.X, y):][:2*w]
			d := dst[(y-r.Min.Y)*stride:][:3*w]
			for x := range w {
				v := src[2*x] // big-endian: the high byte
				d[3*x], d[3*x+1], d[3*x+2] = v, v, v
			}
		}
	case *image.RGBA:
		// Decoders only produce opaque RGBA; alpha, if any, is dropped.
		rgba4(dst, stride, m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y), w, r.Dy())
	case *image.NRGBA:
		rgba4(dst, stride, m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y), w, r.Dy())
	case *image.RGBA64:
		rgba8(dst, stride, m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y), w, r.Dy())
	case *image.NRGBA64:
		rgba8(dst, stride, m.Pix, m.Stride, m.PixOffset(r.Min.X, r.Min.Y), w, r.Dy())
	case *image.CMYK:
		cmykRegion(dst, stride, m, r)
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range m.Palette {
			if i < 256 {
				lut[i] = straightBGR(c)
			}
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			src := m.Pix[m.PixOffset(r.Min.X, y):][:w]
			d := dst[(y-r.Min.Y)*stride:][:3*w]
			for x, idx := range src {
				c := &lut[idx]
				d[3*x], d[3*x+1], d[3*x+2] = c[0], c[1], c[2]
			}
		}
	default:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			d := dst[(y-r.Min.Y)*stride:][:3*w]
			for x := r.Min.X; x < r.Max.X; x++ {
				c := straightBGR(img.At(x, y))
				i := 3 * (x - r.Min.X)
				d[i], d[i+1], d[i+2] = c[0], c[1], c[2]
			}
		}
	}
}

// straightBGR returns a colour's non-premultiplied 8-bit B, G, R, dropping
// alpha: what cv2 keeps of a pixel with transparency.
func straightBGR(c color.Color) [3]uint8 {
	switch c := c.(type) {
	case color.NRGBA:
		return [3]uint8{c.B, c.G, c.R}
	case color.RGBA:
		if c.A == 0xff || c.A == 0 {
			return [3]uint8{c.B, c.G, c.R}
		}
	}
	n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
	return [3]uint8{uint8(n.B >> 8), uint8(n.G >> 8), uint8(n.R >> 8)}
}

// rgba4 copies 8-bit R, G, B, A pixels to B, G, R.
func rgba4(dst []uint8, stride int, pix []uint8, pstride, off, w, h int) {
	for y := range h {
		src := pix[off+y*pstride:][:4*w]
		d := dst[y*stride:][:3*w]
		for x := range w {
			s := src[4*x : 4*x+3 : 4*x+3]
			dd := d[3*x : 3*x+3 : 3*x+3]
			dd[0], dd[1], dd[2] = s[2], s[1], s[0]
		}
	}
}

// rgba8 copies 16-bit big-endian R, G, B, A pixels to 8-bit B, G, R, keeping
// each sample's high byte (libpng's strip-16, as cv2 uses).
func rgba8(dst []uint8, stride int, pix []uint8, pstride, off, w, h int) {
	for y := range h {
		src := pix[off+y*pstride:][:8*w]
		d := dst[y*stride:][:3*w]
		for x := range w {
			s := src[8*x : 8*x+6 : 8*x+6]
			dd := d[3*x : 3*x+3 : 3*x+3]
			dd[0], dd[1], dd[2] = s[4], s[2], s[0]
		}
	}
}

// cmykRegion applies OpenCV's CMYK→BGR formula. libjpeg hands OpenCV the
// samples as stored in the file (Adobe-inverted); Go's image/jpeg returns
// them re-inverted, so each value is flipped back first. With stored
// samples c, m, y, k: R = k - (255-c)*k>>8, and likewise G from m, B from y.
func cmykRegion(dst []uint8, stride int, m *image.CMYK, r image.Rectangle) {
	w := r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		src := m.Pix[m.PixOffset(r.Min.X, y):][:4*w]
		d := dst[(y-r.Min.Y)*stride:][:3*w]
		for x := range w {
			s := src[4*x : 4*x+4 : 4*x+4]
			k := 255 - int32(s[3])
			// 255 - stored = Go's value.
			c, mm, yy := int32(s[0]), int32(s[1]), int32(s[2])
			d[3*x+2] = uint8(k - (c*k)>>8)
			d[3*x+1] = uint8(k - (mm*k)>>8)
			d[3*x+0] = uint8(k - (yy*k)>>8)
		}
	}
}
