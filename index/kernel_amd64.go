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
