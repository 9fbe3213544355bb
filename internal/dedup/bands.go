package dedup

import "math/bits"

// bandIndex finds the 64-bit hashes within a Hamming radius of a query
// without comparing it to all of them (multi-index hashing). Each hash is
// cut into 4 bands of 16 bits and filed under each band's value. If two
// hashes differ in at most h bits, one of their 4 bands differs in at most
// h/4 bits (pigeonhole: 4·(h/4+1) > h), so probing, in every band, each
// value within h/4 flipped bits of the query's finds every hash within h:
// 1 + 16 + 120 (+ 560) probes per band for h/4 = 0, 1, 2 (3). Candidates
// are then checked exactly by the caller.
//
// The tables are counting-sorted arrays: 4 × (65,537 offsets + one int32
// per hash), no maps.
type bandIndex struct {
	off   [4][]int32 // off[b][v]..off[b][v+1]: entries whose band b is v
	entry [4][]int32
	hash  []uint64 // entry → hash
}

func newBandIndex(hash []uint64) *bandIndex {
	x := &bandIndex{hash: hash}
	for b := range 4 {
		off := make([]int32, 1<<16+1)
		for _, h := range hash {
			off[band(h, b)+1]++
		}
		for v := 1; v < len(off); v++ {
			off[v] += off[v-1]
		}
		entry := make([]int32, len(hash))
		next := append([]int32(nil), off[:1<<16]...)
		for e, h := range hash {
			v := band(h, b)
			entry[next[v]] = int32(e)
			next[v]++
		}
		x.off[b], x.entry[b] = off, entry
	}
	return x
}

func band(h uint64, b int) int { return int(h >> (16 * b) & 0xffff) }

// probe calls fn with every entry that shares, in some band, a value within
// radius bits of q's (entries may come more than once). Every entry whose
// hash is within 4·radius+3 bits of q is among them.
func (x *bandIndex) probe(q uint64, radius int, fn func(e int32)) {
	for b := range 4 {
		v := band(q, b)
		visit := func(w int) {
			for _, e := range x.entry[b][x.off[b][w]:x.off[b][w+1]] {
				fn(e)
			}
		}
		flips(v, radius, 0, visit)
	}
}

// flips calls fn with v and every 16-bit value that differs from it in at
// most r of the bits from bit `from` up.
func flips(v, r, from int, fn func(int)) {
	fn(v)
	if r == 0 {
		return
	}
	for i := from; i < 16; i++ {
		flips(v^1<<i, r-1, i+1, fn)
	}
}

// radiusFor is the probe radius that finds every hash within h bits.
func radiusFor(h int) int { return h / 4 }

// hamming is the number of differing bits.
func hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }
