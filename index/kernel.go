package index

import "math"

// dotCodeGo returns Σ q[i]·c[i] for a float32 query and an int8 code of the
// same length: the inner loop of every approximate distance. It is the
// portable version and the reference the AVX2 kernel is tested against.
func dotCodeGo(q []float32, c []int8) float32 {
	c = c[:len(q)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(q); i += 4 {
		s0 += q[i] * float32(c[i])
		s1 += q[i+1] * float32(c[i+1])
		s2 += q[i+2] * float32(c[i+2])
		s3 += q[i+3] * float32(c[i+3])
	}
	for ; i < len(q); i++ {
		s0 += q[i] * float32(c[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// scaleCodeGo sets dst[i] = w[i]·c[i]: a stored code turned into a query
// (w holds the squared quantisation steps).
func scaleCodeGo(dst, w []float32, c []int8) {
	w, c = w[:len(dst)], c[:len(dst)]
	for i := range dst {
		dst[i] = w[i] * float32(c[i])
	}
}

// The construction kernels. While the graph is built, both sides of every
// distance are codes: a node's query is its code scaled by the squared
// steps. That query is rounded to int16 (linkQuery), so that a distance is
// an integer dot product, Σ q16[k]·c[k], exact in int32 on every path;
// the scale keeps |q16| ≤ linkQMax(cdim), so no partial sum can overflow.

// dotCode16Go returns Σ q[i]·c[i] in int32: the reference the assembly
// kernels must equal exactly.
func dotCode16Go(q []int16, c []int8) int32 {
	c = c[:len(q)]
	var s int32
	for i, v := range q {
		s += int32(v) * int32(c[i])
	}
	return s
}

// quantQueryGo sets dst[i] to w[i]·c[i] (float32 product) rounded to the
// nearest integer, ties to even (the rounding of the CPU's float → int
// conversion). The caller keeps |w[i]|·127 within the int16 range.
func quantQueryGo(dst []int16, w []float32, c []int8) {
	w, c = w[:len(dst)], c[:len(dst)]
	for i := range dst {
		p := w[i] * float32(c[i])
		dst[i] = int16(math.RoundToEven(float64(p)))
	}
}

// projectRowsGo sets zs[j][k] = row k · ys[j] for the cdim rows of basis,
// one dot product at a time: the portable form of projectRows.
func projectRowsGo(basis []float32, dim, cdim int, ys, zs [][]float32) {
	for k := range cdim {
		row := basis[k*dim : (k+1)*dim : (k+1)*dim]
		for j, y := range ys {
			zs[j][k] = dot(row, y)
		}
	}
}
