//go:build !amd64

package cluster

const haveDots2x4 = false

func dots2x4(x0, x1, c *float32, stride, n int, out *[8]float32) {
	panic("dots2x4 needs amd64")
}
