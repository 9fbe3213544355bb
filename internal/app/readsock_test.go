package app

import (
	"errors"
	"fmt"
	"testing"
)

// An error crosses the read socket as the name of the sentinel it wraps.
// One that wraps several must get the same name on every run (a map's
// iteration order once made it vary), and every name must map back.
func TestErrorKindOrder(t *testing.T) {
	for _, k := range errorKinds {
		wrapped := fmt.Errorf("reading: %w", k.err)
		if got := errorKindOf(wrapped); got != k.name {
			t.Errorf("errorKindOf(%v) = %q, want %q", wrapped, got, k.name)
		}
		if got := errorKindNamed(k.name); got != k.err {
			t.Errorf("errorKindNamed(%q) = %v, want %v", k.name, got, k.err)
		}
	}
	both := errors.Join(ErrInvalid, ErrNotFound)
	for range 50 {
		if got := errorKindOf(both); got != "notfound" {
			t.Fatalf("errorKindOf(invalid and not found) = %q, want the earlier entry \"notfound\"", got)
		}
	}
	if got := errorKindOf(errors.New("plain")); got != "" {
		t.Errorf("errorKindOf(plain error) = %q, want none", got)
	}
	if errorKindNamed("nosuchkind") != nil {
		t.Error("an unknown kind maps to a sentinel")
	}
}
