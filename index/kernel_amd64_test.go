package index

import (
	"math/rand/v2"
	"testing"
)

// TestLinkKernelPaths calls each assembly path of dotCode16 directly (the
// dispatcher picks only one on a given CPU): AVX2 on every AVX2 machine,
// VNNI where the CPU has it; each must equal the Go loop exactly.
func TestLinkKernelPaths(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2: only the Go loop runs here")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{16, 32, 48, 64, 96, 128, 256, 4096} {
		w, c := linkCase(rng, n)
		q := make([]int16, n)
		quantQueryGo(q, w, c)
		want := dotCode16Go(q, c)
		if got := dotCode16AVX2(&q[0], &c[0], n); got != want {
			t.Errorf("n=%d: AVX2 %d, Go %d", n, got, want)
		}
		if n%32 == 0 {
			if !hasVNNI {
				continue
			}
			if got := dotCode16VNNI(&q[0], &c[0], n); got != want {
				t.Errorf("n=%d: VNNI %d, Go %d", n, got, want)
			}
		}
	}
	if !hasVNNI {
		t.Log("no AVX-512 VNNI on this CPU: its path was not run")
	}
}
