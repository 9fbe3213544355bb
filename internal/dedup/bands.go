package dedup

import (
	"math/bits"
	"slices"
)

// bandIndex finds the 64-bit hashes within a Hamming radius of a query
// without comparing it to all of them (multi-index hashing). Each hash is
// cut into m bands of about 64/m bits and filed under each band's value.
// If two hashes differ in at most h bits, one of their m bands differs in
// at most ⌊h/m⌋ bits (pigeonhole: m·(⌊h/m⌋+1) > h), so probing, in every
// band, each value within ⌊h/m⌋ flipped bits of the query's finds every
// hash within h. Candidates are then checked exactly by the caller.
//
// m is chosen for the number of hashes and the threshold by a cost model
// (probes versus the candidates each probe returns). Each band is
// counting-sorted: 2^width+1 offsets, then each entry's number and whole
// hash in band order, so a probe is one random read and its candidates are
// checked in a sequential scan (a binary search over a million keys, and
// candidates checked through the image table, were measured 5× slower, for
// their cache misses). probe passes on only the entries within h bits.
type bandIndex struct {
	m, h, radius int
	shift        []uint // band b is bits [shift[b], shift[b]+width[b])
	width        []uint
	off          [][]int32 // off[b][v]..off[b][v+1]: the entries whose band b is v
	entry        [][]int32
	hash         [][]uint64 // the entries' hashes, in the order of entry
	checked      int        // candidates compared
}

// newBandIndex files hash (entry i = hash[i]) for lookups within h bits.
func newBandIndex(hash []uint64, h int) *bandIndex {
	m := bandsFor(len(hash), h)
	x := &bandIndex{m: m, h: h, radius: h / m}
	var shift uint
	for b := range m {
		w := uint(64 / m)
		if b < 64%m {
			w++
		}
		x.shift, x.width = append(x.shift, shift), append(x.width, w)
		shift += w
		off := make([]int32, 1<<w+1)
		for _, v := range hash {
			off[x.band(v, b)+1]++
		}
		for v := 1; v < len(off); v++ {
			off[v] += off[v-1]
		}
		entry, hs := make([]int32, len(hash)), make([]uint64, len(hash))
		next := slices.Clone(off[:1<<w])
		for e, v := range hash {
			k := x.band(v, b)
			entry[next[k]], hs[next[k]] = int32(e), v
			next[k]++
		}
		x.off, x.entry, x.hash = append(x.off, off), append(x.entry, entry), append(x.hash, hs)
	}
	return x
}

// bandsFor picks the number of bands (3 to 8: at most 22 bits, 16 MiB of
// offsets, per band) with the least estimated work per query for n hashes
// and threshold h: for each band, the probes and the candidates they return
// (n / 2^width each).
func bandsFor(n, h int) int {
	best, bestCost := 4, -1.0
	for m := 3; m <= 8; m++ {
		w := 64 / m
		r := h / m
		probes := 0.0
		for k := 0; k <= r; k++ {
			probes += binom(w, k)
		}
		cost := float64(m) * probes * (1 + 0.1*float64(n)/float64(uint64(1)<<w))
		if bestCost < 0 || cost < bestCost {
			best, bestCost = m, cost
		}
	}
	return best
}

func binom(n, k int) float64 {
	r := 1.0
	for i := range k {
		r = r * float64(n-i) / float64(i+1)
	}
	return r
}

func (x *bandIndex) band(h uint64, b int) uint32 {
	return uint32(h>>x.shift[b]) & (1<<x.width[b] - 1)
}

// probe calls fn with every entry whose hash is within the index's
// threshold of q (an entry may come more than once: once per band it
// shares).
func (x *bandIndex) probe(q uint64, fn func(e int32)) {
	for b := range x.m {
		off, ents, hs := x.off[b], x.entry[b], x.hash[b]
		flips(x.band(q, b), x.radius, 0, x.width[b], func(v uint32) {
			lo, hi := off[v], off[v+1]
			x.checked += int(hi - lo)
			for i := lo; i < hi; i++ {
				if hamming(q, hs[i]) <= x.h {
					fn(ents[i])
				}
			}
		})
	}
}

// flips calls fn with v and every width-bit value that differs from it in
// at most r of the bits from bit `from` up.
func flips(v uint32, r int, from, width uint, fn func(uint32)) {
	fn(v)
	if r == 0 {
		return
	}
	for i := from; i < width; i++ {
		flips(v^1<<i, r-1, i+1, width, fn)
	}
}

// hamming is the number of differing bits.
func hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }
