package preprocess

import "image"

// JPEG colour, the libjpeg-turbo way.
//
// Go's image/jpeg hands back the decoded planes as an *image.YCbCr with the
// chroma planes still subsampled, and its own At/RGBA conversion picks the
// nearest chroma sample. libjpeg-turbo (what cv2.imread uses) instead
// interpolates chroma with a triangle filter ("fancy upsampling": each output
// sample is 3/4 of the nearer input sample plus 1/4 of the next one, per
// direction) and converts YCbCr to RGB through integer tables with 16
// fractional bits. Redoing both steps here makes our pixels equal to cv2's
// except where the two decoders' inverse DCTs round differently.

const (
	yccScaleBits = 16
	yccHalf      = 1 << (yccScaleBits - 1)
)

// fix returns x in 16.16 fixed point, rounded to nearest, as libjpeg's FIX().
func fix(x float64) int32 { return int32(x*(1<<yccScaleBits) + 0.5) }

// The conversion tables, indexed by the 8-bit chroma sample.
var (
	crToR [256]int32 // already shifted: R = Y + crToR[Cr]
	cbToB [256]int32 // already shifted: B = Y + cbToB[Cb]
	crToG [256]int32 // G = Y + (cbToG[Cb] + crToG[Cr]) >> 16
	cbToG [256]int32 // carries the rounding half
)

func init() {
	for i := range 256 {
		x := int32(i - 128)
		crToR[i] = (fix(1.40200)*x + yccHalf) >> yccScaleBits
		cbToB[i] = (fix(1.77200)*x + yccHalf) >> yccScaleBits
		crToG[i] = -fix(0.71414) * x
		cbToG[i] = -fix(0.34414)*x + yccHalf
	}
}

func clamp255(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// putYCC writes one pixel as B, G, R.
func putYCC(d []uint8, y, cb, cr int32) {
	d = d[:3:3]
	d[0] = clamp255(y + cbToB[cb])
	d[1] = clamp255(y + ((cbToG[cb] + crToG[cr]) >> yccScaleBits))
	d[2] = clamp255(y + crToR[cr])
}

// yccRegion converts the rectangle r (inside m.Rect) of a YCbCr image to
// packed BGR rows in dst.
func (cv *converter) yccRegion(dst []uint8, stride int, m *image.YCbCr, r image.Rectangle) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	// Chroma plane size as libjpeg sees it: ceil(w*h_samp/h_max).
	cw, ch := w, h
	hs, vs := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	cw = (w + hs - 1) / hs
	ch = (h + vs - 1) / vs

	// The fancy filters apply to 2:1 ratios (horizontal ones only when the
	// chroma row is wider than 2 samples, as in libjpeg-turbo); 4:1 ratios
	// are replicated. A YCbCr not anchored at the origin (a sub-image) falls
	// back to replication, where the chroma grid phase is Go's.
	fancyH := hs == 2 && cw > 2
	fancyV := vs == 2
	if m.Rect.Min != (image.Point{}) || hs == 4 || (hs == 2 && !fancyH) {
		cv.yccNearest(dst, stride, m, r)
		return
	}
	if hs == 1 && vs == 1 {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := dst[(y-r.Min.Y)*stride:]
			yi := m.YOffset(r.Min.X, y)
			ci := m.COffset(r.Min.X, y)
			for x := 0; x < r.Dx(); x++ {
				putYCC(row[3*x:], int32(m.Y[yi+x]), int32(m.Cb[ci+x]), int32(m.Cr[ci+x]))
			}
		}
		return
	}

	// Chroma columns needed for output columns [r.Min.X, r.Max.X): the
	// samples under them plus one neighbour on each side.
	c0 := r.Min.X/hs - 1
	c1 := (r.Max.X-1)/hs + 1
	c0 = max(c0, 0)
	c1 = min(c1, cw-1)
	n := c1 - c0 + 1
	cv.cbSum = growInt32(cv.cbSum, n)
	cv.crSum = growInt32(cv.crSum, n)
	cbSum, crSum := cv.cbSum[:n], cv.crSum[:n]

	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst[(y-r.Min.Y)*stride:]
		yrow := m.Y[y*m.YStride:]
		// Vertical step: weighted column sums (3*near + far), or the plain
		// row times 4 when there is no vertical subsampling, so that both
		// cases carry the same scale into the horizontal step.
		cy := y / vs
		near := cy * m.CStride
		if fancyV {
			far := cy - 1
			if y&1 == 1 {
				far = cy + 1
			}
			far = min(max(far, 0), ch-1) * m.CStride
			cbN, cbF := m.Cb[near+c0:near+c1+1], m.Cb[far+c0:far+c1+1]
			crN, crF := m.Cr[near+c0:near+c1+1], m.Cr[far+c0:far+c1+1]
			for i := range cbSum {
				cbSum[i] = 3*int32(cbN[i]) + int32(cbF[i])
				crSum[i] = 3*int32(crN[i]) + int32(crF[i])
			}
		} else {
			cbN := m.Cb[near+c0 : near+c1+1]
			crN := m.Cr[near+c0 : near+c1+1]
			for i := range cbSum {
				cbSum[i] = 4 * int32(cbN[i])
				crSum[i] = 4 * int32(crN[i])
			}
		}

		switch {
		case hs == 1: // 4:4:0, vertical only: (3*near + far + bias) >> 2.
			bias := int32(1)
			if y&1 == 1 {
				bias = 2
			}
			for x := r.Min.X; x < r.Max.X; x++ {
				i := x - c0
				// cbSum holds 3*near+far here (scale 4).
				putYCC(row[3*(x-r.Min.X):], int32(yrow[x]), (cbSum[i]+bias)>>2, (crSum[i]+bias)>>2)
			}
		case vs == 1: // 4:2:2, horizontal only, on 4*sample: (3*c + n + 1|2) >> 2.
			for x := r.Min.X; x < r.Max.X; x++ {
				cx := x >> 1
				i := cx - c0
				var cb, cr int32
				if x&1 == 0 {
					j := max(cx-1, 0) - c0
					cb = (3*cbSum[i] + cbSum[j] + 4) >> 4
					cr = (3*crSum[i] + crSum[j] + 4) >> 4
				} else {
					j := min(cx+1, cw-1) - c0
					cb = (3*cbSum[i] + cbSum[j] + 8) >> 4
					cr = (3*crSum[i] + crSum[j] + 8) >> 4
				}
				putYCC(row[3*(x-r.Min.X):], int32(yrow[x]), cb, cr)
			}
		default: // 4:2:0: (3*this + neighbour + 8|7) >> 4 on the column sums.
			for x := r.Min.X; x < r.Max.X; x++ {
				cx := x >> 1
				i := cx - c0
				var cb, cr int32
				if x&1 == 0 {
					j := max(cx-1, 0) - c0
					cb = (3*cbSum[i] + cbSum[j] + 8) >> 4
					cr = (3*crSum[i] + crSum[j] + 8) >> 4
				} else {
					j := min(cx+1, cw-1) - c0
					cb = (3*cbSum[i] + cbSum[j] + 7) >> 4
					cr = (3*crSum[i] + crSum[j] + 7) >> 4
				}
				putYCC(row[3*(x-r.Min.X):], int32(yrow[x]), cb, cr)
			}
		}
	}
}

// yccNearest converts with replicated chroma (libjpeg's plain upsampling).
func (cv *converter) yccNearest(dst []uint8, stride int, m *image.YCbCr, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst[(y-r.Min.Y)*stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			putYCC(row[3*(x-r.Min.X):], int32(m.Y[yi]), int32(m.Cb[ci]), int32(m.Cr[ci]))
		}
	}
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
