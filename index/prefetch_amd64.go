package index

import "unsafe"

// prefetchLines asks the CPU to start loading lines 64-byte cache lines
// starting at p into cache, without waiting for them.
//
//go:noescape
func prefetchLines(p unsafe.Pointer, lines int)
