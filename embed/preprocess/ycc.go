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

// clampTab[(v+256)&1023] is v clamped to 0..255, for v in -256..767 (the
// conversions below stay within -227..482).
var clampTab [1024]uint8

func init() {
	for i := range clampTab {
		clampTab[i] = uint8(min(max(i-256, 0), 255))
	}
}

func clamp255(v int32) uint8 { return clampTab[(v+256)&1023] }

// putYCC writes one pixel as B, G, R.
func putYCC(d []uint8, y int32, cb, cr uint8) {
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
	cw := (w + hs - 1) / hs
	ch := (h + vs - 1) / vs

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
				putYCC(row[3*x:], int32(m.Y[yi+x]), m.Cb[ci+x], m.Cr[ci+x])
			}
		}
		return
	}

	// Chroma columns under the output columns [r.Min.X, r.Max.X), and one
	// more on each side, clamped to the plane (libjpeg replicates the edge
	// samples; the clamping reproduces its edge formulas).
	c0, c1 := r.Min.X/hs, (r.Max.X-1)/hs
	n := c1 - c0 + 3
	cv.cbSum = growInt32(cv.cbSum, n)
	cv.crSum = growInt32(cv.crSum, n)
	cbSum, crSum := cv.cbSum[:n], cv.crSum[:n]
	dw := r.Dx()
	cv.cbRow = growUint8(cv.cbRow, dw)
	cv.crRow = growUint8(cv.crRow, dw)
	cbRow, crRow := cv.cbRow[:dw], cv.crRow[:dw]

	for y := r.Min.Y; y < r.Max.Y; y++ {
		// Vertical step: column sums 3*near + far (4*sample without
		// vertical subsampling), so both cases reach the horizontal step
		// at the same scale.
		cy := y / vs
		near := m.Cb[cy*m.CStride:][:cw]
		nearR := m.Cr[cy*m.CStride:][:cw]
		far, farR := near, nearR
		if fancyV {
			fy := cy - 1
			if y&1 == 1 {
				fy = cy + 1
			}
			fy = min(max(fy, 0), ch-1)
			far, farR = m.Cb[fy*m.CStride:][:cw], m.Cr[fy*m.CStride:][:cw]
		}
		// cbSum[i] is column c0-1+i; the interior needs no clamping.
		lo, hi := max(c0-1, 0), min(c0-1+n, cw) // columns inside the plane
		nb, fb, nr, fr := near[lo:hi], far[lo:hi], nearR[lo:hi], farR[lo:hi]
		sb, sr := cbSum[lo-(c0-1):][:len(nb)], crSum[lo-(c0-1):][:len(nb)]
		for i := range nb {
			sb[i] = 3*int32(nb[i]) + int32(fb[i])
			sr[i] = 3*int32(nr[i]) + int32(fr[i])
		}
		if c0 == 0 { // left of the plane: replicate column 0
			cbSum[0], crSum[0] = cbSum[1], crSum[1]
		}
		if c0-1+n > cw { // right of the plane: replicate the last column
			cbSum[n-1], crSum[n-1] = cbSum[n-2], crSum[n-2]
		}

		switch {
		case hs == 1: // 4:4:0, vertical only: (3*near + far + 1|2) >> 2.
			bias := int32(1)
			if y&1 == 1 {
				bias = 2
			}
			for i := range cbRow {
				cbRow[i] = uint8((cbSum[i+1] + bias) >> 2)
				crRow[i] = uint8((crSum[i+1] + bias) >> 2)
			}
		case vs == 1: // 4:2:2 on 4*sample: (3*c + neighbour + 1|2) >> 2.
			upsampleH(cbRow, cbSum, r.Min.X, c0, 4, 8)
			upsampleH(crRow, crSum, r.Min.X, c0, 4, 8)
		default: // 4:2:0 on column sums: (3*c + neighbour + 8|7) >> 4.
			upsampleH(cbRow, cbSum, r.Min.X, c0, 8, 7)
			upsampleH(crRow, crSum, r.Min.X, c0, 8, 7)
		}

		ys := m.Y[y*m.YStride+r.Min.X:][:dw]
		out := dst[(y-r.Min.Y)*stride:][:3*dw]
		cbRow, crRow := cbRow[:len(ys)], crRow[:len(ys)]
		for i, yv := range ys {
			// putYCC, inlined by hand (the compiler will not).
			y, cb, cr := int32(yv), cbRow[i], crRow[i]
			o := out[3*i : 3*i+3 : 3*i+3]
			o[0] = clampTab[(y+cbToB[cb]+256)&1023]
			o[1] = clampTab[(y+((cbToG[cb]+crToG[cr])>>yccScaleBits)+256)&1023]
			o[2] = clampTab[(y+crToR[cr]+256)&1023]
		}
	}
}

// upsampleH doubles a row of chroma with libjpeg's triangle filter: output
// x (from x0 on) is (3*s[cx] + s[cx∓1] + bias) >> 4 with cx = x/2, the left
// neighbour and biasEven for even x, the right one and biasOdd for odd x.
// s holds the column sums of chroma columns c0-1 ... (edge-clamped).
func upsampleH(dst []uint8, s []int32, x0, c0 int, biasEven, biasOdd int32) {
	o, x := 0, x0
	if x&1 == 1 && o < len(dst) {
		i := x>>1 - c0 + 1
		dst[o] = uint8((3*s[i] + s[i+1] + biasOdd) >> 4)
		o, x = o+1, x+1
	}
	for ; o+1 < len(dst); o, x = o+2, x+2 {
		i := x>>1 - c0 + 1
		t := 3 * s[i]
		dst[o] = uint8((t + s[i-1] + biasEven) >> 4)
		dst[o+1] = uint8((t + s[i+1] + biasOdd) >> 4)
	}
	if o < len(dst) {
		i := x>>1 - c0 + 1
		dst[o] = uint8((3*s[i] + s[i-1] + biasEven) >> 4)
	}
}

// yccNearest converts with replicated chroma (libjpeg's plain upsampling).
func (cv *converter) yccNearest(dst []uint8, stride int, m *image.YCbCr, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := dst[(y-r.Min.Y)*stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			putYCC(row[3*(x-r.Min.X):], int32(m.Y[yi]), m.Cb[ci], m.Cr[ci])
		}
	}
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
