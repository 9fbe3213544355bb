package cluster

import "github.com/vecimg/vecimg/internal/dots"

// haveDots2x4 reports whether dots2x4 can run on this CPU (a variable so
// that a test can force the fallback).
var haveDots2x4 = dots.Have

// dots2x4 is dots.Dots2x4: two vectors against four strided rows.
func dots2x4(x0, x1, c *float32, stride, n int, out *[8]float32) {
	dots.Dots2x4(x0, x1, c, stride, n, out)
}
