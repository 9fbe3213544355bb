package index

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotCodeAVX2 is dotCodeGo for n a positive multiple of 8, with AVX2 and FMA.
//
//go:noescape
func dotCodeAVX2(q *float32, c *int8, n int) float32

// dotCode returns Σ q[i]·c[i] (see dotCodeGo).
func dotCode(q []float32, c []int8) float32 {
	n := len(q) &^ 7
	if !hasAVX2 || n == 0 {
		return dotCodeGo(q, c)
	}
	c = c[:len(q)]
	s := dotCodeAVX2(&q[0], &c[0], n)
	if n < len(q) {
		s += dotCodeGo(q[n:], c[n:])
	}
	return s
}

// scaleCodeAVX2 is scaleCodeGo for n a positive multiple of 8.
//
//go:noescape
func scaleCodeAVX2(dst, w *float32, c *int8, n int)

// scaleCode sets dst[i] = w[i]·c[i] (see scaleCodeGo).
func scaleCode(dst, w []float32, c []int8) {
	n := len(dst) &^ 7
	w, c = w[:len(dst)], c[:len(dst)]
	if !hasAVX2 || n == 0 {
		scaleCodeGo(dst, w, c)
		return
	}
	scaleCodeAVX2(&dst[0], &w[0], &c[0], n)
	if n < len(dst) {
		scaleCodeGo(dst[n:], w[n:], c[n:])
	}
}
