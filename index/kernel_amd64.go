package index

import (
	"github.com/vecimg/vecimg/internal/dots"
	"golang.org/x/sys/cpu"
)

// hasAVX2: AVX2 and FMA, the check internal/dots makes for its kernel.
var hasAVX2 = dots.Have

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

// hasVNNI: AVX-512 BW and VNNI (VPDPWSSD), checked with the OS's support
// for the 512-bit state.
var hasVNNI = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

// dotCode16AVX2 and dotCode16VNNI are dotCode16Go for n a positive
// multiple of 16 and of 32.
//
//go:noescape
func dotCode16AVX2(q *int16, c *int8, n int) int32

//go:noescape
func dotCode16VNNI(q *int16, c *int8, n int) int32

// dotCode16 returns Σ q[i]·c[i] (see dotCode16Go), with VNNI where the CPU
// has it, AVX2 otherwise.
func dotCode16(q []int16, c []int8) int32 {
	c = c[:len(q)]
	n, s := 0, int32(0) // the kernel's share and its sum
	switch {
	case hasVNNI && len(q) >= 32:
		n = len(q) &^ 31
		s = dotCode16VNNI(&q[0], &c[0], n)
	case hasAVX2 && len(q) >= 16:
		n = len(q) &^ 15
		s = dotCode16AVX2(&q[0], &c[0], n)
	}
	if n < len(q) {
		s += dotCode16Go(q[n:], c[n:])
	}
	return s
}

// quantQueryAVX2 is quantQueryGo for n a positive multiple of 16.
//
//go:noescape
func quantQueryAVX2(dst *int16, w *float32, c *int8, n int)

// quantQuery sets dst[i] = round(w[i]·c[i]) (see quantQueryGo).
func quantQuery(dst []int16, w []float32, c []int8) {
	n := len(dst) &^ 15
	w, c = w[:len(dst)], c[:len(dst)]
	if !hasAVX2 || n == 0 {
		quantQueryGo(dst, w, c)
		return
	}
	quantQueryAVX2(&dst[0], &w[0], &c[0], n)
	if n < len(dst) {
		quantQueryGo(dst[n:], w[n:], c[n:])
	}
}

// projectRows sets zs[j][k] = row k · ys[j] for the cdim rows of basis
// (each dim long) and every vector of ys (see projectRowsGo). With AVX2 it
// computes four rows against two vectors at a time (dots.Dots2x4); each
// pair is summed in one fixed order, so a vector's projection does not depend on the others
// in its block (a query and a stored vector project alike).
func projectRows(basis []float32, dim, cdim int, ys, zs [][]float32) {
	if !dots.Have || dim%8 != 0 || cdim%4 != 0 || len(ys) == 0 {
		projectRowsGo(basis, dim, cdim, ys, zs)
		return
	}
	basis = basis[:cdim*dim]
	var out [8]float32
	// Rows outside, vectors inside: four rows (64 KB at dim 4096) stay in
	// cache while the block's vectors pass.
	for k := 0; k < cdim; k += 4 {
		for j := 0; j < len(ys); j += 2 {
			j1 := min(j+1, len(ys)-1) // an odd last vector is paired with itself
			v0, v1 := ys[j][:dim], ys[j1][:dim]
			dots.Dots2x4(&v0[0], &v1[0], &basis[k*dim], dim, dim, &out)
			copy(zs[j][k:k+4], out[:4])
			copy(zs[j1][k:k+4], out[4:])
		}
	}
}
