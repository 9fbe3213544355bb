package index

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
