package vec

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		v    []float32
		dim  int
		want string
	}{
		{[]float32{1, 0}, 2, ""},
		{[]float32{1, 0}, 0, ""},
		{[]float32{1}, 2, "1 values, want 2"},
		{[]float32{0, 0}, 2, "all zeros"},
		{[]float32{1, nan}, 2, "value 1 is NaN"},
		{[]float32{inf, 1}, 2, "value 0 is +Inf"},
	} {
		err := Check(c.v, c.dim)
		if c.want == "" {
			if err != nil {
				t.Errorf("Check(%v) = %v", c.v, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrBadVector) {
			t.Errorf("Check(%v) = %v, want %q", c.v, err, c.want)
		}
	}
}

func TestCheckID(t *testing.T) {
	for id, ok := range map[string]bool{"a": true, "sub/12": true, "": false, "a\x00b": false, strings.Repeat("x", MaxIDLen+1): false} {
		if err := CheckID(id); (err == nil) != ok || (err != nil && !errors.Is(err, ErrBadID)) {
			t.Errorf("CheckID(%.10q) = %v", id, err)
		}
	}
}
