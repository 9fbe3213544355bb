package phash

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// scene draws a smooth seeded picture: a few soft coloured blobs on a
// gradient, the kind of low-frequency content photos have.
func scene(seed uint64, w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	type blob struct{ x, y, r, cr, cg, cb float64 }
	bl := make([]blob, 6)
	for i := range bl {
		bl[i] = blob{rng.Float64(), rng.Float64(), 0.1 + 0.3*rng.Float64(), 255 * rng.Float64(), 255 * rng.Float64(), 255 * rng.Float64()}
	}
	gx, gy := rng.Float64()*120-60, rng.Float64()*120-60
	type wave struct{ fx, fy, ph, amp float64 }
	wv := make([]wave, 5)
	for i := range wv {
		wv[i] = wave{rng.Float64()*40 - 20, rng.Float64()*40 - 20, rng.Float64() * 2 * math.Pi, 10 + 15*rng.Float64()}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			c := [3]float64{128 + gx*(fx-.5) + gy*(fy-.5), 128 + gy*(fx-.5), 128 - gx*(fy-.5)}
			for _, v := range wv {
				t := v.amp * math.Sin(v.fx*fx+v.fy*fy+v.ph)
				c[0] += t
				c[1] += t
				c[2] += t
			}
			for _, b := range bl {
				d := ((fx-b.x)*(fx-b.x) + (fy-b.y)*(fy-b.y)) / (b.r * b.r)
				a := math.Exp(-d)
				c[0] += a * (b.cr - c[0])
				c[1] += a * (b.cg - c[1])
				c[2] += a * (b.cb - c[2])
			}
			img.SetRGBA(x, y, color.RGBA{clamp(c[0]), clamp(c[1]), clamp(c[2]), 255})
		}
	}
	return img
}

func clamp(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

func reencode(t *testing.T, img image.Image, q int) image.Image {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// halve averages 2×2 blocks.
func halve(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	for y := range b.Dy() / 2 {
		for x := range b.Dx() / 2 {
			var s [3]int
			for _, p := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				c := img.RGBAAt(2*x+p[0], 2*y+p[1])
				s[0] += int(c.R)
				s[1] += int(c.G)
				s[2] += int(c.B)
			}
			out.SetRGBA(x, y, color.RGBA{uint8(s[0] / 4), uint8(s[1] / 4), uint8(s[2] / 4), 255})
		}
	}
	return out
}

func mirror(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.SetRGBA(b.Dx()-1-x, y, img.RGBAAt(x, y))
		}
	}
	return out
}

func TestIdenticalAndTypes(t *testing.T) {
	img := scene(1, 300, 200)
	h := FromImage(img)
	if h != FromImage(img) {
		t.Fatal("hashing is not deterministic")
	}
	if h.PHash == 0 || h.DHash == 0 || h.PHash == h.PMirror {
		t.Fatalf("degenerate hashes %+v", h)
	}
	// The same pixels through every fast path and the generic one.
	nrgba := image.NewNRGBA(img.Bounds())
	draw.Draw(nrgba, nrgba.Bounds(), img, image.Point{}, draw.Src)
	bgr := make([]uint8, 3*300*200)
	for i := range 300 * 200 {
		bgr[3*i], bgr[3*i+1], bgr[3*i+2] = img.Pix[4*i+2], img.Pix[4*i+1], img.Pix[4*i]
	}
	sub := image.NewRGBA(image.Rect(10, 20, 310, 220)) // bounds not at the origin
	draw.Draw(sub, sub.Bounds(), img, image.Point{}, draw.Src)
	for name, got := range map[string]Hashes{
		"NRGBA":   FromImage(nrgba),
		"BGR":     FromBGR(bgr, 3*300, 300, 200),
		"generic": FromImage(generic{img}),
	} {
		if got != h {
			t.Errorf("%s: %+v, want %+v", name, got, h)
		}
	}
	if got := FromImage(sub); PDistance(got, h) > 1 {
		t.Errorf("offset bounds: %+v, want %+v", got, h)
	}
	gray := image.NewGray(img.Bounds())
	draw.Draw(gray, gray.Bounds(), img, image.Point{}, draw.Src)
	if g := FromImage(gray); PDistance(g, h) > 2 || Distance(g.DHash, h.DHash) > 2 {
		t.Errorf("gray copy: pHash distance %d, dHash %d", PDistance(g, h), Distance(g.DHash, h.DHash))
	}
	if FromImage(image.NewRGBA(image.Rect(0, 0, 0, 5))) != (Hashes{}) {
		t.Error("empty image")
	}
	// Tiny images (smaller than the thumbnail) still hash.
	if FromImage(scene(2, 7, 5)).PHash == 0 {
		t.Error("tiny image hashed to 0")
	}
}

// generic hides the concrete type so that FromImage takes the At path.
type generic struct{ image.Image }

// TestCopiesNearUnrelatedFar is the property duplicate finding relies on:
// re-encoded, rescaled and mirrored copies stay within a few bits, unrelated
// pictures are far apart.
func TestCopiesNearUnrelatedFar(t *testing.T) {
	const n = 40
	hs := make([]Hashes, n)
	worst := map[string]int{}
	for i := range n {
		img := scene(uint64(100+i), 256, 192)
		hs[i] = FromImage(img)
		for name, c := range map[string]image.Image{
			"jpeg q30":  reencode(t, img, 30),
			"half size": halve(img),
		} {
			ch := FromImage(c)
			worst["p "+name] = max(worst["p "+name], PDistance(hs[i], ch))
			worst["d "+name] = max(worst["d "+name], Distance(hs[i].DHash, ch.DHash))
		}
		m := FromImage(mirror(img))
		worst["p mirror"] = max(worst["p mirror"], PDistance(hs[i], m))
		if Distance(hs[i].PMirror, m.PHash) > 2 {
			t.Errorf("scene %d: PMirror %016x, pHash of the mirrored image %016x", i, hs[i].PMirror, m.PHash)
		}
	}
	for k, d := range worst {
		if d > 6 {
			t.Errorf("%s: a copy is %d bits from its original", k, d)
		}
	}
	minP, minD, sum, pairs := 64, 64, 0, 0
	for i := range n {
		for j := range i {
			p := PDistance(hs[i], hs[j])
			minP, minD = min(minP, p), min(minD, Distance(hs[i].DHash, hs[j].DHash))
			sum += p
			pairs++
		}
	}
	t.Logf("copies: worst %v; unrelated: min pHash %d, min dHash %d, mean pHash %.1f", worst, minP, minD, float64(sum)/float64(pairs))
	if minP < 10 || minD < 8 || float64(sum)/float64(pairs) < 20 {
		t.Errorf("unrelated scenes too close: min pHash %d, min dHash %d, mean pHash %.1f", minP, minD, float64(sum)/float64(pairs))
	}
}

// TestPhotos checks the same on the repository's photos.
func TestPhotos(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/images/*")
	if len(paths) < 3 {
		t.Fatalf("photos missing: %v", paths)
	}
	var hs []Hashes
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		h := FromImage(img)
		if d := PDistance(h, FromImage(reencode(t, img, 30))); d > 6 {
			t.Errorf("%s re-encoded at q30: pHash distance %d", p, d)
		}
		hs = append(hs, h)
	}
	for i := range hs {
		for j := range i {
			if d := PDistance(hs[i], hs[j]); d < 12 {
				t.Errorf("%s and %s: pHash distance %d", paths[i], paths[j], d)
			}
		}
	}
}

// crop cuts l, r, u, d pixels off the sides of img.
func crop(img *image.RGBA, l, r, u, d int) *image.RGBA {
	b := img.Rect
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()-l-r, b.Dy()-u-d))
	draw.Draw(out, out.Rect, img, image.Pt(b.Min.X+l, b.Min.Y+u), draw.Src)
	return out
}

// TestCropped: a copy cropped by 6.25% on each side has a pHash within a few
// bits of its original's PCentre, a copy cropped unevenly by 4–9% stays
// markedly closer through PCentre than through the pHash, PMatch says Cropped, and
// unrelated scenes stay far apart with PCentre taking part.
func TestCropped(t *testing.T) {
	const n = 40
	hs := make([]Hashes, n)
	direct, viaCentre, exact := 0, 0, 0
	for i := range n {
		img := scene(uint64(300+i), 320, 256)
		hs[i] = FromImage(img)
		// 6.25% of 320 and 256: exactly the central 28/32.
		c := FromImage(crop(img, 20, 20, 16, 16))
		if d, how := PMatch(hs[i], c); d > 4 || (d < Distance(hs[i].PHash, c.PHash) && how != Cropped) {
			t.Errorf("scene %d cropped 6.25%%: PMatch %d (%v), direct %d", i, d, how, Distance(hs[i].PHash, c.PHash))
		}
		exact = max(exact, Distance(hs[i].PCentre, c.PHash))
		// 4–9% on each side, unevenly.
		u := FromImage(crop(img, 320*4/100, 320*9/100, 256*8/100, 256*5/100))
		direct += Distance(hs[i].PHash, u.PHash)
		viaCentre += PDistance(hs[i], u)
	}
	t.Logf("cropped 6.25%%: worst PCentre vs pHash %d; cropped 4-9%%: mean pHash distance %.1f, with PCentre %.1f", exact, float64(direct)/n, float64(viaCentre)/n)
	if exact > 4 {
		t.Errorf("cropped 6.25%%: a copy %d bits from its original's PCentre", exact)
	}
	if viaCentre*3 > direct*2 {
		t.Errorf("cropped 4-9%%: mean distance with PCentre %.1f is not under two thirds of the direct %.1f", float64(viaCentre)/n, float64(direct)/n)
	}
	minP := 64
	for i := range n {
		for j := range i {
			minP = min(minP, PDistance(hs[i], hs[j]))
		}
	}
	if minP < 10 {
		t.Errorf("unrelated scenes: min pHash distance %d with PCentre", minP)
	}
}
