package dedup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/phash"
)

// BenchmarkHashPairs times the banded lookup of hash pairs over n hashed
// images (VECIMG_BENCH_N, default 100,000) at the default thresholds
// (pHash 2, dHash 5; this benchmark runs the pHash lookup, two queries per
// image): uniform random hashes, a tenth of them with a copy 0..12 bits
// away. Opt-in size:
//
//	VECIMG_BENCH_N=1000000 go test -run - -bench HashPairs -benchtime 1x ./internal/dedup
func BenchmarkHashPairs(b *testing.B) {
	n := 100_000
	if s := os.Getenv("VECIMG_BENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	f := newFake()
	hs := make([]phash.Hashes, 0, n)
	for i := range n {
		h := phash.Hashes{PHash: rng.Uint64(), DHash: rng.Uint64(), PMirror: rng.Uint64(), PCentre: rng.Uint64()}
		if i%10 == 9 {
			p := hs[rng.IntN(len(hs))]
			h = phash.Hashes{PHash: flip(rng, p.PHash, rng.IntN(13)), DHash: flip(rng, p.DHash, rng.IntN(13)), PMirror: flip(rng, p.PMirror, rng.IntN(13)), PCentre: flip(rng, p.PCentre, rng.IntN(13))}
		}
		hs = append(hs, h)
		f.items = append(f.items, Item{ID: fmt.Sprint(i), Hashes: h, Hashed: true})
	}
	ths := []int{2, 5}
	if s := os.Getenv("VECIMG_BENCH_H"); s != "" {
		ths = nil
		for _, f := range strings.Split(s, ",") {
			h, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("VECIMG_BENCH_H=%q: %v", s, err)
			}
			ths = append(ths, h)
		}
	}
	for _, H := range ths {
		b.Run(fmt.Sprintf("n=%d/H=%d", n, H), func(b *testing.B) {
			o := Options{PHash: H, DHash: Off}
			tab, _ := collect(context.Background(), f.Items, o)
			reps := make([]int32, n)
			for i := range reps {
				reps[i] = int32(i)
			}
			b.ResetTimer()
			for range b.N {
				pairs := map[uint64]match{}
				res := &Result{}
				hashPairs(tab, reps, o, pairs, res)
				b.ReportMetric(float64(res.Stats.HashPairs), "pairs")
				b.ReportMetric(float64(res.Stats.HashProbed)/float64(n), "checked/img")
			}
		})
	}
}
