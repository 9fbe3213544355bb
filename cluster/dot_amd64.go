package cluster

import "golang.org/x/sys/cpu"

// haveDots2x4 reports whether dots2x4 can run on this CPU.
var haveDots2x4 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dots2x4(x0, x1, c *float32, stride, n int, out *[8]float32)
