package index

import (
	"fmt"
	"github.com/vecimg/vecimg/internal/vec"
	"math"

	"github.com/viterin/vek/vek32"
)

// dot returns the dot product of two equal-length, non-empty vectors. vek32
// uses its AVX2+FMA kernel when the CPU has both and a portable loop
// otherwise.
func dot(a, b []float32) float32 { return vek32.Dot(a, b) }

// cosDist turns the dot product of two unit vectors into the cosine distance
// 1 − cos, clamped to [0, 2] (rounding can push it slightly outside).
func cosDist(dp float32) float32 {
	d := 1 - dp
	if d < 0 {
		return 0
	}
	if d > 2 {
		return 2
	}
	return d
}

// normalise checks v (length dim, finite, not all zero) and writes v/|v| into
// dst, which must have length dim. The norm is accumulated in float64 so that
// large float32 components cannot overflow it.
func normalise(dst, v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("%w: vector has %d components, index has %d", ErrDimension, len(v), dim)
	}
	if err := vec.Check(v, dim); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidVector, err)
	}
	var ss float64
	for _, f := range v {
		ss += float64(f) * float64(f)
	}
	inv := 1 / math.Sqrt(ss)
	for i, f := range v {
		dst[i] = float32(float64(f) * inv)
	}
	return nil
}

func sqrt32(f float32) float32 { return float32(math.Sqrt(float64(f))) }

// invNorm returns 1/|v|, or false when v has no direction (zero, NaN or
// infinite). Exact search and re-ranking both compute the exact distance as
// cosDist(dot(q, v) · invNorm(v)) for a unit q, so that they agree to the
// bit.
func invNorm(v []float32) (float32, bool) {
	vv := dot(v, v)
	if !(vv > 0) || math.IsInf(float64(vv), 0) {
		return 0, false
	}
	return 1 / sqrt32(vv), true
}
