package cluster

import "github.com/vecimg/vecimg/internal/dots"

// haveDots2x4 reports whether dots.Dots2x4 can run on this CPU (a variable
// so that a test can force the fallback).
var haveDots2x4 = dots.Have
