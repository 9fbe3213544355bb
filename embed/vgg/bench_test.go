package vgg

import (
	"os"
	"testing"

	"github.com/nlpodyssey/gopickle/pytorch"
)

// Benchmarks on a full-size weights file, which is not committed:
//
//	/usr/bin/python3 ../shared/ref/make_vgg16_weights.py --width 1 /tmp/vgg16_w1.pth
//	VECIMG_BENCH_WEIGHTS=/tmp/vgg16_w1.pth go test -run '^$' -bench . -benchtime 3x ./embed/vgg/
//
// Without the variable they run on the committed 32×-narrow fixture.

func benchWeightsPath() string {
	if p := os.Getenv("VECIMG_BENCH_WEIGHTS"); p != "" {
		return p
	}
	return fixturePath("vgg16_w32_zip.pth")
}

func BenchmarkLoadPTH(b *testing.B) {
	path := benchWeightsPath()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadPTH(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGopickleLoad is the general-purpose reader this package's own
// reader replaces, on the same file, for comparison: it reads every storage
// (the classifier's later layers too) element by element.
func BenchmarkGopickleLoad(b *testing.B) {
	path := benchWeightsPath()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pytorch.Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkBuild(b *testing.B, prec string) {
	w, err := LoadPTH(benchWeightsPath())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		m, err := Build(w, BuildOptions{Size: 448, Precision: prec})
		if err != nil {
			b.Fatal(err)
		}
		n = len(m)
	}
	b.ReportMetric(float64(n)/1e6, "model-MB")
}

func BenchmarkBuildFP32(b *testing.B) { benchmarkBuild(b, PrecisionFP32) }
func BenchmarkBuildFP16(b *testing.B) { benchmarkBuild(b, PrecisionFP16) }
