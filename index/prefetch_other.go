//go:build !amd64

package index

func prefetchLines(p *float32, lines int) {}
