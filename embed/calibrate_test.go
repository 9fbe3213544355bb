package embed

import (
	"math/rand/v2"
	"testing"
)

// TestHistogramRules: on post-ReLU-like data (half zeros, the rest spread
// over [0, 1)) with a few far outliers, max follows the outliers, the percentile
// stays at the bulk and MSE weighs the two; the histogram's growth (a
// later, larger batch) keeps the counts.
func TestHistogramRules(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	for batch := range 4 {
		v := make([]float32, 200000)
		for i := range v {
			if rng.IntN(2) == 0 {
				v[i] = rng.Float32() * float32(batch+1) / 4
			}
		}
		if batch == 3 {
			v[7], v[8] = 50, 40 // outliers in the last batch: the bins double
		}
		h.add(v)
	}
	var n float64 = h.zeros
	for _, c := range h.bins {
		n += c
	}
	if n != 800000 {
		t.Fatalf("histogram holds %v values, added 800000", n)
	}
	if got := h.rangeFor(RuleMax); got != 50 {
		t.Errorf("max %v, want 50", got)
	}
	if got := h.rangeFor(RulePercentile); got < 0.9 || got > 1.01 {
		t.Errorf("percentile: %v, want near the bulk's top (1)", got)
	}
	// Two outliers among 400,000 values: clipping them at c costs
	// (50-c)²+(40-c)², rounding costs 400000·(c/255)²/12; the optimum is
	// near 35, well inside (1, 50).
	if got := h.rangeFor(RuleMSE); got < 30 || got > 40 {
		t.Errorf("mse: %v, want the squared-error optimum near 35", got)
	}
	var empty histogram
	empty.add(make([]float32, 10))
	if got := empty.rangeFor(RuleMSE); got != 0 {
		t.Errorf("all zeros: range %v", got)
	}
}
