package dedup

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecimg/vecimg/internal/phash"
)

// flip returns h with n distinct random bits flipped.
func flip(rng *rand.Rand, h uint64, n int) uint64 {
	for _, i := range rng.Perm(64)[:n] {
		h ^= 1 << i
	}
	return h
}

// TestHashPairsMatchBruteForce: the banded lookup finds exactly the pairs a
// comparison of all pairs finds, at every threshold, checking far fewer
// candidates than all pairs.
func TestHashPairsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	f := newFake()
	var hs []phash.Hashes
	for i := range 1500 {
		var h phash.Hashes
		if i > 0 && i%3 == 0 { // a near copy of an earlier image, 0..16 bits away
			b := hs[rng.IntN(len(hs))]
			d := rng.IntN(17)
			h = phash.Hashes{PHash: flip(rng, b.PHash, d), DHash: flip(rng, b.DHash, rng.IntN(17)), PMirror: flip(rng, b.PMirror, d), PCentre: rng.Uint64()}
			switch {
			case i%7 == 0: // a mirrored copy: its pHash is near b's mirrored one
				h.PHash, h.PMirror = h.PMirror, h.PHash
			case i%5 == 0: // a cropped copy: its pHash is near b's centre pHash
				h.PHash = flip(rng, b.PCentre, d)
			case i%4 == 0: // an original of which b is a cropped copy
				h.PCentre = flip(rng, b.PHash, d)
			}
		} else {
			h = phash.Hashes{PHash: rng.Uint64(), DHash: rng.Uint64(), PMirror: rng.Uint64(), PCentre: rng.Uint64()}
		}
		hs = append(hs, h)
		f.add(Item{ID: fmt.Sprintf("%04d", i), Hashes: h, Hashed: i%50 != 1}, randVec(rng, 4))
	}
	for _, H := range []int{0, 3, 4, 7, 8, 10, 12, 15} {
		for _, sig := range []string{"phash", "dhash"} {
			o := Options{PHash: Off, DHash: Off}
			if sig == "phash" {
				o.PHash = H
			} else {
				o.DHash = H
			}
			tab, _ := collect(context.Background(), f.Items, o)
			reps := make([]int32, len(hs))
			for i := range reps {
				reps[i] = int32(i)
			}
			pairs := map[uint64]match{}
			res := &Result{}
			hashPairs(tab, reps, o, pairs, res)
			want := 0
			for i := range hs {
				for j := range i {
					if !tab.hashed[i] || !tab.hashed[j] {
						continue
					}
					d := phash.PDistance(hs[i], hs[j])
					if sig == "dhash" {
						d = bits.OnesCount64(hs[i].DHash ^ hs[j].DHash)
					}
					_, got := pairs[pairKey(int32(i), int32(j))]
					if (d <= H) != got {
						t.Fatalf("%s H=%d: pair %d,%d at distance %d found %v", sig, H, i, j, d, got)
					}
					if d <= H {
						want++
					}
				}
			}
			if len(pairs) != want || res.Stats.HashPairs != want {
				t.Fatalf("%s H=%d: %d pairs, brute force %d", sig, H, len(pairs), want)
			}
			if all := len(hs) * (len(hs) - 1) / 2; H <= 4 && res.Stats.HashProbed > all/10 {
				t.Errorf("%s H=%d: %d candidates checked of %d pairs", sig, H, res.Stats.HashProbed, all)
			}
		}
	}
}

// TestGroupsByHashes: images whose vectors are far apart are grouped by
// their hashes, mirrored and cropped copies included; members say how they
// matched; images without hashes match by vectors only.
func TestGroupsByHashes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	f := newFake()
	base := phash.Hashes{PHash: rng.Uint64(), DHash: rng.Uint64(), PMirror: rng.Uint64(), PCentre: rng.Uint64()}
	v := randVec(rng, 16)
	f.add(Item{ID: "orig", SHA256: sha("o"), Width: 100, Height: 100, Hashes: base, Hashed: true}, v)
	f.add(Item{ID: "crop", SHA256: sha("c"), Width: 90, Height: 90, Hashed: true,
		Hashes: phash.Hashes{PHash: flip(rng, base.PHash, 6), DHash: flip(rng, base.DHash, 20), PMirror: flip(rng, base.PMirror, 6)}}, randVec(rng, 16))
	f.add(Item{ID: "mirror", SHA256: sha("m"), Width: 50, Height: 50, Hashed: true,
		Hashes: phash.Hashes{PHash: flip(rng, base.PMirror, 2), DHash: rng.Uint64(), PMirror: flip(rng, base.PHash, 2)}}, randVec(rng, 16))
	f.add(Item{ID: "vec", SHA256: sha("v"), Width: 10, Height: 10, Hashed: true,
		Hashes: phash.Hashes{PHash: ^base.PHash, DHash: ^base.DHash, PMirror: ^base.PMirror}}, around(rng, v, 0.01))
	f.add(Item{ID: "nohash", SHA256: sha("n"), Width: 10, Height: 10}, randVec(rng, 16))
	f.add(Item{ID: "dh", SHA256: sha("d"), Width: 10, Height: 10, Hashed: true,
		Hashes: phash.Hashes{PHash: rng.Uint64(), DHash: flip(rng, base.DHash, 3), PMirror: rng.Uint64()}}, randVec(rng, 16))
	// A cropped copy: its pHash is 4 bits from the original's centre pHash,
	// everything else far.
	f.add(Item{ID: "cut", SHA256: sha("x"), Width: 80, Height: 80, Hashed: true,
		Hashes: phash.Hashes{PHash: flip(rng, base.PCentre, 4), DHash: rng.Uint64(), PMirror: rng.Uint64(), PCentre: rng.Uint64()}}, randVec(rng, 16))
	for i := range 20 {
		f.add(Item{ID: fmt.Sprintf("s%02d", i), SHA256: sha(fmt.Sprint(i)), Hashed: true,
			Hashes: phash.Hashes{PHash: rng.Uint64(), DHash: rng.Uint64(), PMirror: rng.Uint64()}}, randVec(rng, 16))
	}
	res, err := Groups(context.Background(), f.Items, f.Neighbours, f.Distance, Options{Threshold: 0.05, PHash: 8, DHash: 4, K: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || res.Groups[0].Keep != "orig" {
		t.Fatalf("groups %+v", res.Groups)
	}
	by := map[string]Member{}
	for _, m := range res.Groups[0].Members {
		by[m.ID] = m
	}
	want := map[string][]string{"crop": {ByPHash}, "mirror": {ByPHash}, "vec": {ByVector}, "dh": {ByDHash}, "cut": {ByPHash}}
	if len(by) != 6 {
		t.Fatalf("members %v", ids(res.Groups[0]))
	}
	for id, w := range want {
		if !slices.Equal(by[id].MatchedBy, w) {
			t.Errorf("%s matched by %v, want %v (%+v)", id, by[id].MatchedBy, w, by[id])
		}
	}
	if m := by["mirror"]; !m.Mirrored || m.PHash > 4 || by["crop"].Mirrored || by["crop"].PHash != 6 || by["crop"].Cropped {
		t.Errorf("mirror %+v, crop %+v", m, by["crop"])
	}
	if m := by["cut"]; !m.Cropped || m.Mirrored || m.PHash != 4 {
		t.Errorf("cropped copy %+v", m)
	}
	if k := by["orig"]; !k.Keep || k.PHash != 0 || k.MatchedBy != nil {
		t.Errorf("kept member %+v", k)
	}
	if res.Stats.Hashed != 26 || res.Stats.Chained != 0 {
		t.Errorf("stats %+v", res.Stats)
	}
	// Hashes alone (vectors off) miss the vector-only copy; the kept image
	// rule can pick a file under a folder.
	f.items[3].Path, f.items[0].Path = "/photos/keep/a.jpg", "/photos/x.jpg"
	res, err = Groups(context.Background(), f.Items, nil, f.Distance, Options{Threshold: Off, PHash: 8, DHash: Off, Keep: KeepUnder, KeepUnder: "/photos/keep"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || res.Groups[0].Keep != "orig" || !slices.Equal(slices.Sorted(slices.Values(ids(res.Groups[0]))), []string{"crop", "cut", "mirror", "orig"}) {
		t.Errorf("hashes only: %+v", res.Groups)
	}
	f.items[1].Path = "/photos/keep/crop.jpg"
	res, _ = Groups(context.Background(), f.Items, nil, f.Distance, Options{Threshold: Off, PHash: 8, DHash: Off, Keep: KeepUnder, KeepUnder: "/photos/keep"})
	if len(res.Groups) != 1 || res.Groups[0].Keep != "crop" {
		t.Errorf("keep under /photos/keep: %+v", res.Groups)
	}
}
