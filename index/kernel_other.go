//go:build !amd64

package index

func dotCode(q []float32, c []int8) float32 { return dotCodeGo(q, c) }

func scaleCode(dst, w []float32, c []int8) { scaleCodeGo(dst, w, c) }
