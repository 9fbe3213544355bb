package dedup

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Transforms are the copies Variant makes of an image, as calibration uses
// them: the edits that turn one photo into "the same photo" in a real
// collection.
var Transforms = []string{"jpeg_q30", "resize_50", "crop_5-10", "bright_+20", "bright_-20", "gray", "wm_text", "mirror"}

// Variant returns the file bytes (JPEG) of transformation t of img:
// re-encoded at quality 30, halved by 2×2 averaging, cropped by 5–10% on
// each side (drawn from rng), brightness ×1.2 or ×0.8, gray (ITU-R 601
// luma), a white text watermark across the lower third, or mirrored left to
// right. Every other variant is saved at quality 95. It returns nil for an
// unknown t or an image too small to crop.
func Variant(img *image.RGBA, t string, rng *rand.Rand) []byte {
	q := 95
	var out *image.RGBA
	b := img.Rect
	w, h := b.Dx(), b.Dy()
	switch t {
	case "jpeg_q30":
		out, q = img, 30
	case "resize_50":
		if w < 2 || h < 2 {
			return nil
		}
		out = image.NewRGBA(image.Rect(0, 0, w/2, h/2))
		for y := range h / 2 {
			for x := range w / 2 {
				var s [3]int
				for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					c := img.RGBAAt(b.Min.X+2*x+d[0], b.Min.Y+2*y+d[1])
					s[0], s[1], s[2] = s[0]+int(c.R), s[1]+int(c.G), s[2]+int(c.B)
				}
				out.SetRGBA(x, y, color.RGBA{uint8((s[0] + 2) / 4), uint8((s[1] + 2) / 4), uint8((s[2] + 2) / 4), 255})
			}
		}
	case "crop_5-10", "crop_4-9":
		lo := 0.05
		if t == "crop_4-9" {
			lo = 0.04
		}
		side := func(n int) int { return int(float64(n) * (lo + 0.05*rng.Float64())) }
		l, r, u, d := side(w), side(w), side(h), side(h)
		if w-l-r < 8 || h-u-d < 8 {
			return nil
		}
		out = image.NewRGBA(image.Rect(0, 0, w-l-r, h-u-d))
		draw.Draw(out, out.Rect, img, image.Pt(b.Min.X+l, b.Min.Y+u), draw.Src)
	case "bright_+20", "bright_-20":
		f := 1.2
		if t == "bright_-20" {
			f = 0.8
		}
		out = mapPixels(img, func(c color.RGBA) color.RGBA {
			s := func(v uint8) uint8 { return uint8(min(255, float64(v)*f+0.5)) }
			return color.RGBA{s(c.R), s(c.G), s(c.B), 255}
		})
	case "gray":
		out = mapPixels(img, func(c color.RGBA) color.RGBA {
			y := uint8((19595*uint32(c.R) + 38470*uint32(c.G) + 7471*uint32(c.B) + 1<<15) >> 16)
			return color.RGBA{y, y, y, 255}
		})
	case "wm_text":
		out = mapPixels(img, func(c color.RGBA) color.RGBA { return c })
		watermark(out, "(c) vecimg sample photo")
	case "mirror":
		out = image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				out.SetRGBA(w-1-x, y, img.RGBAAt(b.Min.X+x, b.Min.Y+y))
			}
		}
	default:
		return nil
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: q}); err != nil {
		return nil
	}
	return buf.Bytes()
}

func mapPixels(img *image.RGBA, f func(color.RGBA) color.RGBA) *image.RGBA {
	b := img.Rect
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.SetRGBA(x, y, f(img.RGBAAt(b.Min.X+x, b.Min.Y+y)))
		}
	}
	return out
}

// watermark writes text in white at 70% opacity across the lower third of
// img, scaled from the 7×13 bitmap font to about 80% of the image width.
func watermark(img *image.RGBA, text string) {
	face := basicfont.Face7x13
	tw := font.MeasureString(face, text).Ceil()
	mask := image.NewAlpha(image.Rect(0, 0, tw, 13))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(0, 11)}
	d.DrawString(text)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	scale := max(1, w*8/10/tw)
	x0, y0 := (w-tw*scale)/2, h*2/3
	for y := range 13 * scale {
		for x := range tw * scale {
			if mask.AlphaAt(x/scale, y/scale).A == 0 || x0+x >= w || y0+y >= h || x0+x < 0 {
				continue
			}
			c := img.RGBAAt(x0+x, y0+y)
			blend := func(v uint8) uint8 { return uint8((int(v)*3 + 255*7) / 10) }
			img.SetRGBA(x0+x, y0+y, color.RGBA{blend(c.R), blend(c.G), blend(c.B), 255})
		}
	}
}
