package index

import (
	"os"
	"testing"
	"time"
)

func BenchmarkScratchDot(b *testing.B) {
	if os.Getenv("SCRATCH") == "" {
		b.Skip()
	}
	n := envInt(b, "N", 20000)
	dim := 4096
	slab := make([]float32, n*dim)
	for i := range slab {
		slab[i] = float32(i%7) * 0.1
	}
	q := slab[:dim]
	for _, cnt := range []int{100, 2000, n} {
		b.Run("rand"+idOf(cnt), func(b *testing.B) {
			var s float32
			start := time.Now()
			k := 0
			for i := 0; i < b.N; i++ {
				k = (k*7919 + 104729) % cnt
				s += dot(q, slab[k*dim:(k+1)*dim])
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "ns/dot")
			_ = s
		})
		b.Run("randGo"+idOf(cnt), func(b *testing.B) {
			var s float32
			k := 0
			for i := 0; i < b.N; i++ {
				k = (k*7919 + 104729) % cnt
				s += dotGo(q, slab[k*dim:(k+1)*dim])
			}
			_ = s
		})
	}
}
