package dots

import "golang.org/x/sys/cpu"

// Have reports whether Dots2x4 can run on this CPU (AVX2 and FMA).
var Have = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Dots2x4 sets out[j] = x0·c_j and out[4+j] = x1·c_j for j = 0..3, where
// row c_j starts at c + j·stride floats, over the first n floats (n a
// positive multiple of 8). Needs Have.
//
//go:noescape
func Dots2x4(x0, x1, c *float32, stride, n int, out *[8]float32)
