package phash

import (
	"image"
	"math"
	"math/bits"
	"slices"
)

// Hashes are the three 64-bit hashes of one image.
type Hashes struct {
	PHash   uint64
	DHash   uint64
	PMirror uint64
	// PCentre is the pHash of the thumbnail's central 28×28 (6.25% cut
	// off each side): a copy cropped by about that much has a PHash
	// close to its original's PCentre.
	PCentre uint64
}

// side is the gray thumbnail's side that the DCT reads.
const side = 32

// Distance is the Hamming distance of two 64-bit hashes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// PDistance is the pHash distance of two images, mirrored and cropped
// copies included: the smallest Hamming distance between a's pHash and b's
// pHash, mirrored pHash or centre pHash (or a's mirrored or centre pHash and
// b's pHash). PMatch says which comparison it was.
func PDistance(a, b Hashes) int {
	d, _ := PMatch(a, b)
	return d
}

// How says which comparison gave a PDistance.
type How uint8

const (
	Direct   How = iota // pHash against pHash
	Mirrored            // one image's mirrored pHash against the other's pHash
	Cropped             // one image's centre pHash against the other's pHash
)

// PMatch is PDistance and the comparison that gave it (the first of Direct,
// Mirrored, Cropped on a tie).
func PMatch(a, b Hashes) (int, How) {
	d, how := Distance(a.PHash, b.PHash), Direct
	if m := min(Distance(a.PHash, b.PMirror), Distance(a.PMirror, b.PHash)); m < d {
		d, how = m, Mirrored
	}
	if c := min(Distance(a.PCentre, b.PHash), Distance(a.PHash, b.PCentre)); c < d {
		d, how = c, Cropped
	}
	return d, how
}

// FromImage hashes img. An empty image hashes to zeros.
func FromImage(img image.Image) Hashes {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return Hashes{}
	}
	r := newReducer(w, h)
	row := make([]float32, w)
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			p := m.Pix[y*m.Stride : y*m.Stride+w]
			for x, v := range p {
				row[x] = float32(v)
			}
			r.addRow(y, row)
		}
	case *image.YCbCr:
		for y := range h {
			p := m.Y[y*m.YStride : y*m.YStride+w]
			for x, v := range p {
				row[x] = float32(v)
			}
			r.addRow(y, row)
		}
	case *image.RGBA:
		r.addRGBA(m.Pix, m.Stride, row)
	case *image.NRGBA: // alpha ignored, as the preset drops it
		r.addRGBA(m.Pix, m.Stride, row)
	default:
		for y := range h {
			for x := range w {
				r, g, b, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				row[x] = luma(uint8(r>>8), uint8(g>>8), uint8(b>>8))
			}
			r.addRow(y, row)
		}
	}
	return fromThumb(r.out)
}

// FromBGR hashes a packed 8-bit B, G, R image of w×h pixels whose rows are
// stride bytes apart (the layout of embed/preprocess.BGR).
func FromBGR(pix []uint8, stride, w, h int) Hashes {
	if w <= 0 || h <= 0 {
		return Hashes{}
	}
	r := newReducer(w, h)
	row := make([]float32, w)
	for y := range h {
		p := pix[y*stride : y*stride+3*w]
		for x := range w {
			row[x] = luma(p[3*x+2], p[3*x+1], p[3*x])
		}
		r.addRow(y, row)
	}
	return fromThumb(r.out)
}

// luma is ITU-R 601 luma of 8-bit R, G, B, as image/color's GrayModel.
func luma(r, g, b uint8) float32 {
	return float32((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// span is the share of source pixels [first, first+len(w)) in one output
// pixel, by weight.
type span struct {
	first int
	w     []float32
}

// spans maps n source pixels onto m output pixels by area: output i covers
// source [i·n/m, (i+1)·n/m), each source pixel weighted by how much of it
// lies inside; the weights of an output sum to 1.
func spans(n, m int) []span {
	out := make([]span, m)
	scale := float64(n) / float64(m)
	for i := range out {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		first := int(math.Floor(lo))
		last := min(int(math.Ceil(hi)), n) // exclusive
		ws := make([]float32, 0, last-first)
		for s := first; s < last; s++ {
			cover := math.Min(hi, float64(s+1)) - math.Max(lo, float64(s))
			ws = append(ws, float32(cover/scale))
		}
		out[i] = span{first, ws}
	}
	return out
}

// reducer area-averages a w×h gray image, fed row by row, to side×side.
type reducer struct {
	xs, ys []span
	rowOf  [][]int // for each source row, the output rows it contributes to
	colBuf []float32
	out    [side * side]float32
}

func newReducer(w, h int) *reducer {
	r := &reducer{xs: spans(w, side), ys: spans(h, side), rowOf: make([][]int, h), colBuf: make([]float32, side)}
	for oy, s := range r.ys {
		for k := range s.w {
			r.rowOf[s.first+k] = append(r.rowOf[s.first+k], oy)
		}
	}
	return r
}

// addRGBA adds every row of 8-bit R, G, B, A samples, stride bytes apart.
func (r *reducer) addRGBA(pix []uint8, stride int, row []float32) {
	for y := range r.rowOf {
		p := pix[y*stride : y*stride+4*len(row)]
		for x := range row {
			row[x] = luma(p[4*x], p[4*x+1], p[4*x+2])
		}
		r.addRow(y, row)
	}
}

// addRow adds source row y.
func (r *reducer) addRow(y int, row []float32) {
	for ox, s := range r.xs {
		var acc float32
		for k, wt := range s.w {
			acc += wt * row[s.first+k]
		}
		r.colBuf[ox] = acc
	}
	for _, oy := range r.rowOf[y] {
		wt := r.ys[oy].w[y-r.ys[oy].first]
		o := r.out[oy*side : (oy+1)*side]
		for ox, v := range r.colBuf {
			o[ox] += wt * v
		}
	}
}

// basis returns the first 8 DCT-II basis rows of length n:
// t[u][x] = cos((2x+1)uπ / 2n).
func basis(n int) (t [8][]float64) {
	for u := range 8 {
		t[u] = make([]float64, n)
		for x := range n {
			t[u][x] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / float64(2*n))
		}
	}
	return t
}

// cosTab is the DCT-II basis of a 32-sample row, innerTab of the central
// inner samples.
var cosTab, innerTab = basis(side), basis(inner)

// inner is the side of the central square PCentre reads, and cut the
// pixels left out on each side.
const (
	inner = 28
	cut   = (side - inner) / 2
)

// lowDCT returns the 8×8 lowest-frequency 2-D DCT-II coefficients (row
// major: coefficient v*8+u has vertical frequency v) of the n×n square of
// the thumbnail whose top left pixel is (off, off); tab is basis(n).
func lowDCT(g *[side * side]float32, off, n int, tab *[8][]float64) (coef [64]float64) {
	// Rows first: r[y][u] = Σx cos_u(x) g[y][x]; then columns.
	rows := make([][8]float64, n)
	for y := range n {
		line := g[(y+off)*side+off : (y+off)*side+off+n]
		for u := range 8 {
			var acc float64
			for x, v := range line {
				acc += tab[u][x] * float64(v)
			}
			rows[y][u] = acc
		}
	}
	for v := range 8 {
		for u := range 8 {
			var acc float64
			for y := range n {
				acc += tab[v][y] * rows[y][u]
			}
			coef[v*8+u] = acc
		}
	}
	return coef
}

// fromThumb hashes the side×side gray thumbnail.
func fromThumb(g [side * side]float32) Hashes {
	coef := lowDCT(&g, 0, side, &cosTab)
	mirr := coef
	for i := range mirr {
		if i%2 == 1 {
			mirr[i] = -mirr[i] // mirroring x negates the odd horizontal frequencies
		}
	}
	// PCentre: the same 8×8 lowest frequencies relative to the central
	// inner×inner square, so that they are what a copy cropped to it gives.
	centre := lowDCT(&g, cut, inner, &innerTab)
	return Hashes{PHash: aboveMedian(coef), DHash: dhash(g), PMirror: aboveMedian(mirr), PCentre: aboveMedian(centre)}
}

// aboveMedian sets bit i when c[i] is above the median of c.
func aboveMedian(c [64]float64) uint64 {
	s := c
	slices.Sort(s[:])
	med := (s[31] + s[32]) / 2
	var h uint64
	for i, v := range c {
		if v > med {
			h |= 1 << i
		}
	}
	return h
}

// dhash reduces the thumbnail to 9×8 and compares each pixel with its left
// neighbour.
func dhash(g [side * side]float32) uint64 {
	xs, ys := spans(side, 9), spans(side, 8)
	var small [8][9]float32
	for oy, sy := range ys {
		for ox, sx := range xs {
			var acc float32
			for j, wy := range sy.w {
				for i, wx := range sx.w {
					acc += wy * wx * g[(sy.first+j)*side+sx.first+i]
				}
			}
			small[oy][ox] = acc
		}
	}
	var h uint64
	for y := range 8 {
		for x := range 8 {
			if small[y][x+1] > small[y][x] {
				h |= 1 << (y*8 + x)
			}
		}
	}
	return h
}
