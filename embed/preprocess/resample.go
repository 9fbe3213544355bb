package preprocess

import "math"

// PIL's bilinear resize of 8-bit images, bit for bit.
//
// Pillow (9.x, as torchvision's Resize on a PIL image calls it) resizes an
// 8-bit image as a separable convolution:
//
//   - For each output index i along an axis, the filter is centred on the
//     input coordinate c = (i + 0.5) * scale, scale = in/out. When shrinking,
//     the triangle filter's support (1 pixel) is widened by the scale, which
//     is what makes it antialiased; when enlarging it stays 1.
//   - The taps cover input indices [int(c - support + 0.5), int(c + support
//     + 0.5)) clipped to the image; each weight is tri((j - c + 0.5) / s),
//     s = max(scale, 1), tri(x) = max(0, 1 - |x|); the weights are divided
//     by their sum, then turned into integers with 22 fractional bits
//     (32 - 8 - 2), rounding half away from zero.
//   - The horizontal pass runs first (only when the width changes) into an
//     8-bit intermediate image, then the vertical pass (only when the height
//     changes). Each output sample is (sum of weight*sample + 2^21) >> 22,
//     clamped to 0..255.
//
// Pillow 9's Image.resize has reducing_gap=None by default, so no
// box-reduction step precedes this for BILINEAR.

const (
	precisionBits   = 32 - 8 - 2
	bilinearSupport = 1.0
)

// axis holds the integer taps for one axis: out outputs of at most ksize
// taps each; output i reads input [start[i], start[i]+n[i]) with weights
// k[i*ksize:][:n[i]].
type axis struct {
	in, out int
	ksize   int
	start   []int32
	n       []int32
	k       []int32
	pre     []float64
	// t3 (used by the horizontal pass), when every output has at most 3 taps (any shrink by less than
	// 2×, or an enlargement), holds per output 4 values: the first input
	// index of a 3-tap window and its 3 weights. Windows are moved left at
	// the right edge (with a zero weight first) so that all have 3 taps;
	// the extra tap adds 0 and leaves every sum as it was.
	t3 []int32
}

// set computes the taps for resizing in samples to out samples. It reuses
// the slices of a and does nothing when the sizes are unchanged.
func (a *axis) set(in, out int) {
	if a.in == in && a.out == out && a.k != nil {
		return
	}
	a.in, a.out = in, out
	scale := float64(in) / float64(out)
	filterScale := max(scale, 1.0)
	support := bilinearSupport * filterScale
	a.ksize = int(math.Ceil(support))*2 + 1
	a.start = growInt32(a.start, out)
	a.n = growInt32(a.n, out)
	a.k = growInt32(a.k, out*a.ksize)
	if cap(a.pre) < a.ksize {
		a.pre = make([]float64, a.ksize)
	}
	pre := a.pre[:a.ksize]
	inv := 1.0 / filterScale
	for i := range out {
		center := (float64(i) + 0.5) * scale
		lo := int(center - support + 0.5) // truncation toward zero, as a C cast
		lo = max(lo, 0)
		hi := int(center + support + 0.5)
		hi = min(hi, in)
		n := hi - lo
		sum := 0.0
		for j := range n {
			w := triangle((float64(j+lo) - center + 0.5) * inv)
			pre[j] = w
			sum += w
		}
		k := a.k[i*a.ksize : (i+1)*a.ksize]
		for j := range k {
			k[j] = 0
		}
		for j := range n {
			w := pre[j]
			if sum != 0 {
				w /= sum
			}
			// Round half away from zero into 22 fractional bits.
			if w < 0 {
				k[j] = int32(-0.5 + w*(1<<precisionBits))
			} else {
				k[j] = int32(0.5 + w*(1<<precisionBits))
			}
		}
		a.start[i] = int32(lo)
		a.n[i] = int32(n)
	}
	a.t3 = a.t3[:0]
	if in < 3 {
		return
	}
	for i := range out {
		if a.n[i] > 3 {
			a.t3 = a.t3[:0]
			return
		}
	}
	a.t3 = growInt32(a.t3, 4*out)
	for i := range out {
		lo, n := int(a.start[i]), int(a.n[i])
		k := a.k[i*a.ksize:][:n]
		t := a.t3[4*i : 4*i+4 : 4*i+4]
		t[1], t[2], t[3] = 0, 0, 0
		shift := max(lo+3-in, 0) // taps moved right within the window
		t[0] = int32(lo - shift)
		for j, w := range k {
			t[1+shift+j] = w
		}
	}
}

func triangle(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// clip8 turns an accumulator into a sample: >> 22, clamped to 0..255.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// resampler resizes packed 3-channel 8-bit images. It keeps its taps and
// intermediate buffer between calls and is not safe for concurrent use.
type resampler struct {
	h, v axis
	tmp  []uint8
	acc  []int32
}

// resize resizes src (sw×sh, rows of 3*sw bytes) to ow×oh and writes the
// output rectangle [x0, x0+dw) × [y0, y0+dh) of the result into dst (rows
// of 3*dw bytes). Computing a sub-rectangle gives exactly the samples the
// full resize has there; it lets a centre crop skip the rest.
func (rs *resampler) resize(dst []uint8, src []uint8, sw, sh, ow, oh, x0, y0, dw, dh int) {
	needH, needV := ow != sw, oh != sh
	if needV {
		rs.v.set(sh, oh)
	}
	if needH {
		rs.h.set(sw, ow)
	}
	// Rows of src the vertical pass will read.
	r0, r1 := y0, y0+dh
	if needV {
		last := y0 + dh - 1
		r0 = int(rs.v.start[y0])
		r1 = int(rs.v.start[last] + rs.v.n[last])
	}
	// Horizontal pass into tmp: rows [r0, r1), output columns [x0, x0+dw).
	var mid []uint8
	midStride := 3 * dw
	if needH {
		rows := r1 - r0
		rs.tmp = growUint8(rs.tmp, rows*midStride)
		mid = rs.tmp
		rs.horizontal(mid, midStride, src[r0*3*sw:], 3*sw, rows, x0, dw)
	} else {
		// Width unchanged: the intermediate is src's own columns.
		mid = src[r0*3*sw+3*x0:]
		midStride = 3 * sw
	}
	if !needV {
		for y := range dh {
			copy(dst[y*3*dw:][:3*dw], mid[(y0+y-r0)*midStride:][:3*dw])
		}
		return
	}
	rs.vertical(dst, mid, midStride, r0, y0, dw, dh)
}

// horizontal resizes rows rows of src along x, writing output columns
// [x0, x0+dw).
func (rs *resampler) horizontal(dst []uint8, dstStride int, src []uint8, srcStride, rows, x0, dw int) {
	a := &rs.h
	const half = 1 << (precisionBits - 1)
	if len(a.t3) > 0 {
		t3 := a.t3[4*x0 : 4*(x0+dw)]
		for y := range rows {
			in := src[y*srcStride : (y+1)*srcStride]
			out := dst[y*dstStride:][:3*dw]
			for i := range dw {
				t := t3[4*i : 4*i+4 : 4*i+4]
				p := 3 * int(t[0])
				q := in[p : p+9 : p+9]
				w0, w1, w2 := t[1], t[2], t[3]
				o := out[3*i : 3*i+3 : 3*i+3]
				o[0] = clip8(half + int32(q[0])*w0 + int32(q[3])*w1 + int32(q[6])*w2)
				o[1] = clip8(half + int32(q[1])*w0 + int32(q[4])*w1 + int32(q[7])*w2)
				o[2] = clip8(half + int32(q[2])*w0 + int32(q[5])*w1 + int32(q[8])*w2)
			}
		}
		return
	}
	for y := range rows {
		in := src[y*srcStride : (y+1)*srcStride]
		out := dst[y*dstStride:][:3*dw]
		for i := range dw {
			xx := x0 + i
			lo, n := int(a.start[xx]), int(a.n[xx])
			k := a.k[xx*a.ksize:][:3:3] // ksize is at least 3
			s0, s1, s2 := int32(half), int32(half), int32(half)
			p := 3 * lo
			switch n {
			case 2: // the common cases when shrinking a little, unrolled
				q := in[p : p+6 : p+6]
				w0, w1 := k[0], k[1]
				s0 += int32(q[0])*w0 + int32(q[3])*w1
				s1 += int32(q[1])*w0 + int32(q[4])*w1
				s2 += int32(q[2])*w0 + int32(q[5])*w1
			case 3:
				q := in[p : p+9 : p+9]
				w0, w1, w2 := k[0], k[1], k[2]
				s0 += int32(q[0])*w0 + int32(q[3])*w1 + int32(q[6])*w2
				s1 += int32(q[1])*w0 + int32(q[4])*w1 + int32(q[7])*w2
				s2 += int32(q[2])*w0 + int32(q[5])*w1 + int32(q[8])*w2
			default:
				q := in[p : p+3*n]
				for j, w := range a.k[xx*a.ksize:][:n] {
					s0 += int32(q[3*j]) * w
					s1 += int32(q[3*j+1]) * w
					s2 += int32(q[3*j+2]) * w
				}
			}
			o := out[3*i : 3*i+3 : 3*i+3]
			o[0], o[1], o[2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
}

// vertical resizes along y: output rows [y0, y0+dh) from mid, whose first
// row is input row r0 and whose rows hold 3*dw samples (stride midStride).
func (rs *resampler) vertical(dst []uint8, mid []uint8, midStride, r0, y0, dw, dh int) {
	a := &rs.v
	const half = 1 << (precisionBits - 1)
	width := 3 * dw
	for i := range dh {
		yy := y0 + i
		lo, n := int(a.start[yy])-r0, int(a.n[yy])
		k := a.k[yy*a.ksize:][:n]
		out := dst[i*width : (i+1)*width]
		row := func(j int) []uint8 { return mid[(lo+j)*midStride:][:width] }
		switch n {
		case 2:
			a0, a1 := row(0)[:len(out)], row(1)[:len(out)]
			w0, w1 := k[0], k[1]
			for x := range out {
				out[x] = clip8(half + int32(a0[x])*w0 + int32(a1[x])*w1)
			}
		case 3:
			a0, a1, a2 := row(0)[:len(out)], row(1)[:len(out)], row(2)[:len(out)]
			w0, w1, w2 := k[0], k[1], k[2]
			for x := range out {
				out[x] = clip8(half + int32(a0[x])*w0 + int32(a1[x])*w1 + int32(a2[x])*w2)
			}
		default:
			rs.acc = growInt32(rs.acc, width)
			acc := rs.acc[:width]
			for j := range acc {
				acc[j] = half
			}
			for j, w := range k {
				for x, v := range row(j) {
					acc[x] += int32(v) * w
				}
			}
			for x, v := range acc {
				out[x] = clip8(v)
			}
		}
	}
}

func growUint8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		return make([]uint8, n)
	}
	return s[:n]
}
