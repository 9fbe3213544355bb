//go:build !amd64

package index

func dotCode(q []float32, c []int8) float32 { return dotCodeGo(q, c) }

func scaleCode(dst, w []float32, c []int8) { scaleCodeGo(dst, w, c) }

func dotCode16(q []int16, c []int8) int32 { return dotCode16Go(q, c) }

func quantQuery(dst []int16, w []float32, c []int8) { quantQueryGo(dst, w, c) }

func projectRows(basis []float32, dim, cdim int, ys, zs [][]float32) {
	projectRowsGo(basis, dim, cdim, ys, zs)
}
