package spectrum

import (
	"math"
	"testing"
)

// TestFC6Shares checks the shares the spectrum is fitted to and that it
// decays.
func TestFC6Shares(t *testing.T) {
	lam, floor := FC6(4096)
	if len(lam) != Rank {
		t.Fatalf("%d directions, want %d", len(lam), Rank)
	}
	var s10, s float64
	for j, v := range lam {
		if j > 0 && !(v < lam[j-1]) {
			t.Fatalf("λ_%d = %g does not fall below λ_%d = %g", j+1, v, j, lam[j-1])
		}
		if j < 10 {
			s10 += v
		}
		s += v
	}
	if math.Abs(s10-Top10) > 1e-9 || math.Abs(s-TopShare) > 1e-9 {
		t.Errorf("top 10 carry %.6f (want %.3f), top %d carry %.6f (want %.3f)", s10, Top10, Rank, s, TopShare)
	}
	if total := s + floor*4096; math.Abs(total-1) > 1e-9 {
		t.Errorf("total variance %.9f, want 1", total)
	}
}
