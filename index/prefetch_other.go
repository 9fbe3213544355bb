//go:build !amd64

package index

import "unsafe"

func prefetchLines(p unsafe.Pointer, lines int) {}
