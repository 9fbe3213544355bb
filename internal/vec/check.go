package vec

import (
	"errors"
	"fmt"
	"math"

	"github.com/vecimg/vecimg/internal/types"
)

// Limits shared by every package that accepts ids or vectors.
const (
	MaxIDLen = types.MaxIDLen // bytes in an id
	MaxDim   = 1 << 20        // values in a vector
)

// Sentinel errors; the errors returned below wrap one of them.
var (
	ErrBadID     = types.ErrBadID
	ErrBadVector = errors.New("invalid vector")
)

// CheckID reports why id cannot be used, or nil: it must be non-empty, at
// most MaxIDLen bytes and hold no NUL byte (the rule of types.CheckID, which
// the front ends apply too).
func CheckID(id string) error { return types.CheckID(id) }

// Check reports why v cannot be used as a vector of dim values, or nil: the
// length must be dim (dim ≤ 0 skips that test), every value finite, and at
// least one value non-zero (a zero vector has no direction).
func Check(v []float32, dim int) error {
	if dim > 0 && len(v) != dim {
		return fmt.Errorf("%w: %d values, want %d", ErrBadVector, len(v), dim)
	}
	if len(v) > MaxDim {
		return fmt.Errorf("%w: %d values, more than %d", ErrBadVector, len(v), MaxDim)
	}
	zero := true
	for i, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("%w: value %d is %v", ErrBadVector, i, f)
		}
		if f != 0 {
			zero = false
		}
	}
	if zero {
		return fmt.Errorf("%w: all zeros", ErrBadVector)
	}
	return nil
}
