//go:build !amd64

package dots

// Have reports whether Dots2x4 can run on this CPU: never off amd64.
const Have = false

// Dots2x4 is the amd64 kernel; callers check Have first.
func Dots2x4(x0, x1, c *float32, stride, n int, out *[8]float32) {
	panic("dots.Dots2x4 needs amd64")
}
