package dedup

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

func TestChoose(t *testing.T) {
	// Copies: pHash small for most, vectors small for the others; the
	// nearest non-copies sit close by vector (above 0.02) and by pHash
	// (above 8).
	var pairs []CalPair
	for i := range 100 {
		pairs = append(pairs, CalPair{Vector: 0.05, PHash: i % 5, DHash: 30, Positive: true, Group: 0})               // found by pHash only
		pairs = append(pairs, CalPair{Vector: 0.001 * float32(i%10), PHash: 20, DHash: 30, Positive: true, Group: 1}) // by vector only
		pairs = append(pairs, CalPair{Vector: 0.02 + 0.001*float32(i), PHash: 9 + i%4, DHash: 12, Group: -1})
	}
	pairs = append(pairs, CalPair{Vector: 0.2, PHash: -1, DHash: -1, Positive: true, Group: 2}) // found by nothing
	th, s, ok := Choose(pairs, 0.99, true, true, true)
	if !ok || th.PHash < 4 || th.PHash > 8 || th.Vector < 0.009 || th.Vector >= 0.02 || th.DHash >= 12 {
		t.Fatalf("fused: %+v %+v %v", th, s, ok)
	}
	if s.Precision < 0.99 || math.Abs(s.Recall-200.0/201) > 1e-9 {
		t.Errorf("fused score %+v", s)
	}
	if e := Evaluate(pairs, th, nil); e != s {
		t.Errorf("Evaluate %+v, Choose %+v", e, s)
	}
	vt, vs, ok := Choose(pairs, 0.99, true, false, false)
	if !ok || vt.PHash != Off || vt.DHash != Off || math.Abs(vs.Recall-100.0/201) > 1e-9 {
		t.Errorf("vectors only: %+v %+v", vt, vs)
	}
	if g := Evaluate(pairs, th, func(g int) bool { return g == 2 }); g.Recall != 0 || g.Positives != 1 {
		t.Errorf("group 2: %+v", g)
	}
	// Nothing separates: no thresholds.
	bad := []CalPair{{Vector: 0.1, PHash: 5, DHash: 5, Positive: true}, {Vector: 0.1, PHash: 5, DHash: 5}}
	if _, _, ok := Choose(bad, 0.99, true, true, true); ok {
		t.Error("thresholds chosen where copies and non-copies are the same")
	}
}

func TestVariants(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := range 80 {
		for x := range 120 {
			img.SetRGBA(x, y, color.RGBA{uint8(2 * x), uint8(3 * y), 100, 255})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tr := range Transforms {
		data := Variant(img, tr, rng)
		if data == nil {
			t.Fatalf("%s: no variant", tr)
		}
		v, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", tr, err)
		}
		b := v.Bounds()
		switch tr {
		case "resize_50":
			if b.Dx() != 60 || b.Dy() != 40 {
				t.Errorf("%s: %v", tr, b)
			}
		case "crop_5-10":
			if b.Dx() < 96 || b.Dx() > 108 || b.Dy() < 64 || b.Dy() > 72 {
				t.Errorf("%s: %v", tr, b)
			}
		default:
			if b.Dx() != 120 || b.Dy() != 80 {
				t.Errorf("%s: %v", tr, b)
			}
		}
		r, g, bl, _ := v.At(100, 10).RGBA()
		r0, g0, b0, _ := img.At(100, 10).RGBA()
		switch tr {
		case "mirror":
			if m, _, _, _ := v.At(19, 10).RGBA(); absDiff(m>>8, r0>>8) > 8 {
				t.Errorf("mirror: %d vs %d", m>>8, r0>>8)
			}
		case "gray":
			if absDiff(r>>8, g>>8) > 6 || absDiff(g>>8, bl>>8) > 6 {
				t.Errorf("gray: %d %d %d", r>>8, g>>8, bl>>8)
			}
		case "bright_+20":
			if g>>8 < g0>>8+2 {
				t.Errorf("brighter: %d vs %d", g>>8, g0>>8)
			}
		case "bright_-20":
			if g>>8+2 > g0>>8 {
				t.Errorf("darker: %d vs %d", g>>8, g0>>8)
			}
		}
		_ = b0
	}
	if Variant(img, "nope", rng) != nil {
		t.Error("unknown transformation")
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
