package preprocess

import (
	"math/rand/v2"
	"testing"
)

// idctDC is the DC-only case of idctIslow, not an approximation of it.
func TestIDCTDCOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var blk [64]int16
		var q [64]int32
		blk[0] = int16(rng.IntN(4096) - 2048)
		for i := range q {
			q[i] = int32(1 + rng.IntN(255))
		}
		a, b := make([]uint8, 64), make([]uint8, 64)
		idctIslow(&blk, &q, a, 8)
		idctDC(blk[0], q[0], b, 8)
		if string(a) != string(b) {
			t.Fatalf("dc %d q %d: %v vs %v", blk[0], q[0], a[:8], b[:8])
		}
	}
}

func TestIDCTRangeLimit(t *testing.T) {
	for x := int64(-512); x < 512; x++ {
		want := uint8(min(max(x+128, 0), 255))
		if got := idctRangeLimit(x); got != want {
			t.Fatalf("idctRangeLimit(%d) = %d, want %d", x, got, want)
		}
	}
}
