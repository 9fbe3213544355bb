package preprocess

// libjpeg's "islow" inverse DCT, bit for bit.
//
// libjpeg-turbo decodes with the accurate integer IDCT by default (JDCT_ISLOW):
// the Loeffler–Ligtenberg–Moschytz factorisation with 13-bit fixed-point
// constants, two extra bits of precision carried between the column pass and
// the row pass, and a final descale by 2^(13+2+3) with rounding. Go's
// image/jpeg uses the same factorisation with other precisions, which rounds
// about 2% of samples differently. This file repeats libjpeg's arithmetic
// step by step; the constants are round(x * 2^13) of the usual cosines.

const (
	idctConstBits = 13
	idctPass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// idctRangeLimit maps a descaled IDCT output (centred on 0) to a sample the
// way libjpeg's range-limit table does: the value is masked to 10 bits, and
// -128..127 become 0..255, larger values 255, smaller 0 (and, as in libjpeg,
// values beyond ±512 wrap around; only corrupt data gets there).
func idctRangeLimit(x int64) uint8 { return idctRange[x&1023] }

var idctRange [1024]uint8

func init() {
	for i := range idctRange {
		switch {
		case i < 128:
			idctRange[i] = uint8(128 + i)
		case i < 512:
			idctRange[i] = 255
		case i < 896:
			idctRange[i] = 0
		default:
			idctRange[i] = uint8(i - 896)
		}
	}
}

// idctIslow transforms one block of quantised coefficients (natural order)
// with its quantisation table and writes 8×8 samples to out (rows stride
// bytes apart).
func idctIslow(coef *[64]int16, q *[64]int32, out []uint8, stride int) {
	var ws [64]int32

	// Pass 1: columns, from the coefficients into the workspace, scaled up
	// by 2^PASS1_BITS.
	for c := range 8 {
		if coef[8+c]|coef[16+c]|coef[24+c]|coef[32+c]|coef[40+c]|coef[48+c]|coef[56+c] == 0 {
			dc := (int32(coef[c]) * q[c]) << idctPass1Bits
			for r := range 8 {
				ws[8*r+c] = dc
			}
			continue
		}
		// Dequantise (in 32 bits, as libjpeg's int multiply), then widen.
		d0 := int64(int32(coef[c]) * q[c])
		d1 := int64(int32(coef[8+c]) * q[8+c])
		d2 := int64(int32(coef[16+c]) * q[16+c])
		d3 := int64(int32(coef[24+c]) * q[24+c])
		d4 := int64(int32(coef[32+c]) * q[32+c])
		d5 := int64(int32(coef[40+c]) * q[40+c])
		d6 := int64(int32(coef[48+c]) * q[48+c])
		d7 := int64(int32(coef[56+c]) * q[56+c])

		tmp10, tmp11, tmp12, tmp13 := idctEven(d0, d2, d4, d6)
		o0, o1, o2, o3 := idctOdd(d7, d5, d3, d1)

		const n = idctConstBits - idctPass1Bits
		const half = 1 << (n - 1)
		ws[8*0+c] = int32((tmp10 + o3 + half) >> n)
		ws[8*7+c] = int32((tmp10 - o3 + half) >> n)
		ws[8*1+c] = int32((tmp11 + o2 + half) >> n)
		ws[8*6+c] = int32((tmp11 - o2 + half) >> n)
		ws[8*2+c] = int32((tmp12 + o1 + half) >> n)
		ws[8*5+c] = int32((tmp12 - o1 + half) >> n)
		ws[8*3+c] = int32((tmp13 + o0 + half) >> n)
		ws[8*4+c] = int32((tmp13 - o0 + half) >> n)
	}

	// Pass 2: rows, from the workspace to samples, descaled by
	// 2^(CONST_BITS+PASS1_BITS+3) (the 3 is the IDCT's factor of 8).
	const n = idctConstBits + idctPass1Bits + 3
	const half = 1 << (n - 1)
	for r := range 8 {
		w := ws[8*r : 8*r+8 : 8*r+8]
		o := out[r*stride : r*stride+8 : r*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := idctRangeLimit((int64(w[0]) + (1 << (idctPass1Bits + 2))) >> (idctPass1Bits + 3))
			for i := range o {
				o[i] = v
			}
			continue
		}
		tmp10, tmp11, tmp12, tmp13 := idctEven(int64(w[0]), int64(w[2]), int64(w[4]), int64(w[6]))
		o0, o1, o2, o3 := idctOdd(int64(w[7]), int64(w[5]), int64(w[3]), int64(w[1]))

		o[0] = idctRangeLimit((tmp10 + o3 + half) >> n)
		o[7] = idctRangeLimit((tmp10 - o3 + half) >> n)
		o[1] = idctRangeLimit((tmp11 + o2 + half) >> n)
		o[6] = idctRangeLimit((tmp11 - o2 + half) >> n)
		o[2] = idctRangeLimit((tmp12 + o1 + half) >> n)
		o[5] = idctRangeLimit((tmp12 - o1 + half) >> n)
		o[3] = idctRangeLimit((tmp13 + o0 + half) >> n)
		o[4] = idctRangeLimit((tmp13 - o0 + half) >> n)
	}
}

// idctEven is the even part of the 1-D IDCT of inputs 0, 2, 4, 6: the terms
// libjpeg calls tmp10, tmp11, tmp12, tmp13.
func idctEven(x0, x2, x4, x6 int64) (t10, t11, t12, t13 int64) {
	z1 := (x2 + x6) * fix0_541196100
	t2 := z1 + x6*(-fix1_847759065)
	t3 := z1 + x2*fix0_765366865
	t0 := (x0 + x4) << idctConstBits
	t1 := (x0 - x4) << idctConstBits
	return t0 + t3, t1 + t2, t1 - t2, t0 - t3
}

// idctOdd is the odd part of the 1-D IDCT of inputs 7, 5, 3, 1: the terms
// libjpeg calls tmp0..tmp3.
func idctOdd(t0, t1, t2, t3 int64) (int64, int64, int64, int64) {
	z1 := (t0 + t3) * -fix0_899976223
	z2 := (t1 + t2) * -fix2_562915447
	z5 := (t0 + t1 + t2 + t3) * fix1_175875602 // (z3 + z4) * FIX(1.175875602)
	z3 := (t0+t2)*-fix1_961570560 + z5
	z4 := (t1+t3)*-fix0_390180644 + z5
	return t0*fix0_298631336 + z1 + z3,
		t1*fix2_053119869 + z2 + z4,
		t2*fix3_072711026 + z2 + z3,
		t3*fix1_501321110 + z1 + z4
}

// idctDC is idctIslow for a block whose AC coefficients are all zero: both
// passes take their all-zero shortcuts and every sample gets the same value.
func idctDC(dc int16, q int32, out []uint8, stride int) {
	ws := (int32(dc) * q) << idctPass1Bits
	v := idctRangeLimit((int64(ws) + (1 << (idctPass1Bits + 2))) >> (idctPass1Bits + 3))
	for r := range 8 {
		o := out[r*stride : r*stride+8 : r*stride+8]
		for i := range o {
			o[i] = v
		}
	}
}
