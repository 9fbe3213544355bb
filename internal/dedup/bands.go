package dedup

import (
	"cmp"
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
// (probes versus the candidates each probe returns): wide bands for many
// hashes, so that a band value names few of them. Each band is an array of
// (value, entry) pairs sorted by value, probed by binary search: 8 bytes per
// hash and band.
type bandIndex struct {
	m      int
	radius int
	shift  []uint // band b is bits [shift[b], shift[b]+width[b])
	width  []uint
	keys   [][]uint32 // per band, sorted
	entry  [][]int32  // per band, in the order of keys
}

// newBandIndex files hash (entry i = hash[i]) for lookups within h bits.
func newBandIndex(hash []uint64, h int) *bandIndex {
	m := bandsFor(len(hash), h)
	x := &bandIndex{m: m, radius: h / m}
	var shift uint
	for b := range m {
		w := uint(64 / m)
		if b < 64%m {
			w++
		}
		x.shift, x.width = append(x.shift, shift), append(x.width, w)
		shift += w
		type kv struct {
			k uint32
			e int32
		}
		pairs := make([]kv, len(hash))
		for e, v := range hash {
			pairs[e] = kv{x.band(v, b), int32(e)}
		}
		slices.SortFunc(pairs, func(a, b kv) int { return cmp.Compare(a.k, b.k) })
		keys, ents := make([]uint32, len(pairs)), make([]int32, len(pairs))
		for i, p := range pairs {
			keys[i], ents[i] = p.k, p.e
		}
		x.keys, x.entry = append(x.keys, keys), append(x.entry, ents)
	}
	return x
}

// bandsFor picks the number of bands (3 to 8) with the least estimated
// work per query for n hashes and threshold h: for each band, the probes
// (binary searches, weighted 4) and the candidates they return (n / 2^width
// each).
func bandsFor(n, h int) int {
	best, bestCost := 4, -1.0
	for m := 3; m <= 8; m++ {
		w := 64 / m
		r := h / m
		probes := 0.0
		for k := 0; k <= r; k++ {
			probes += binom(w, k)
		}
		cost := float64(m) * probes * (4 + float64(n)/float64(uint64(1)<<w))
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

// probe calls fn with every entry that shares, in some band, a value within
// the index's radius of q's (entries may come more than once). Every entry
// whose hash is within the threshold the index was built for is among them.
func (x *bandIndex) probe(q uint64, fn func(e int32)) {
	for b := range x.m {
		keys, ents := x.keys[b], x.entry[b]
		visit := func(v uint32) {
			i, _ := slices.BinarySearch(keys, v)
			for ; i < len(keys) && keys[i] == v; i++ {
				fn(ents[i])
			}
		}
		flips(x.band(q, b), x.radius, 0, x.width[b], visit)
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
