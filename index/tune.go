package index

import (
	"fmt"
	"slices"

	"github.com/vecimg/vecimg/internal/types"
)

// Tuning is the search breadth an index chose for itself: the smallest ef
// whose recall@10, measured on a fixed sample of its own vectors against
// exact search, reaches a target. It is saved in the index file; searches
// use it when neither SearchOptions.Ef nor Config.EfSearch is set.
type Tuning struct {
	Ef      int     `json:"ef"`      // 0: not tuned
	Recall  float64 `json:"recall"`  // recall@10 measured at Ef
	Queries int     `json:"queries"` // stored vectors used as queries
	Target  float64 `json:"target"`  // the recall aimed at
	Live    int     `json:"live"`    // vectors in the index when measured
}

// Defaults of tuning.
const (
	// DefaultRecallTarget is the recall@10 a tuned index aims at.
	DefaultRecallTarget = 0.99
	// TuneQueries is the number of stored vectors tuning measures with.
	TuneQueries = 200
	// tuneK is the k of the measured recall.
	tuneK = 10
	// retuneGrowth: an update that grows the index by this share since it
	// was tuned tunes it again.
	retuneGrowth = 0.10
	// tuneMissShare is the share of the misses a target allows that the
	// sampled measure may show: for a target of 0.99 it must reach 0.995.
	// Stored vectors, even with their own node hidden, are easier queries
	// than new images: on 1,000,000 fitted fc6-like vectors, 200 held-out
	// queries had 0.005 to 0.014 lower recall@10 than the tuning sample at
	// the same ef, on graphs with M 16, 24 and 32 (docs/index.md).
	tuneMissShare = 0.5
)

// tuneAim is the recall the sampled measure must reach for target.
func tuneAim(target float64) float64 { return 1 - (1-target)*tuneMissShare }

// tuneLadder lists the breadths tuning chooses from, in increasing order: it
// keeps one that reaches the target while its predecessor does not, or the
// last when none does.
var tuneLadder = []int{16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024}

// Tuning returns the index's tuning (Ef 0 when it has none).
func (x *Index) Tuning() Tuning {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.tune
}

// needsTune reports whether the index should be tuned: it never was, or it
// grew by retuneGrowth since.
func (x *Index) needsTune() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.cb == nil || x.live <= tuneK || x.fetch == nil {
		return false
	}
	return x.tune.Ef == 0 || float64(x.live) >= (1+retuneGrowth)*float64(x.tune.Live)
}

// tuneIDs picks the fixed sample of up to n stored ids tuning measures
// with: those with the smallest salted hash, a choice that does not depend
// on the order of insertion and keeps the same ids while they stay stored.
func tuneIDs(ids []string, n int) []string {
	return smallestHashed(ids, n, 0xd6e8feb86659fd93)
}

// Tune measures recall@10 on a fixed sample of up to queries stored
// vectors against exact search from the codes (each searched by id, itself
// left out of both answers, and its own node hidden from the graph walk, so
// that the walk must find the neighbours as it would for a new image: with
// the node walked, the walk lands on it and its links are the answer, which
// overstates recall on isotropic data), for breadths of tuneLadder chosen by bisection, and keeps the
// smallest that reaches target: one whose predecessor on the ladder falls
// short (the largest when none reaches it). Reaching target means
// reaching tuneAim(target), which leaves half the misses target allows:
// the sample is easier than new images. target ≤ 0 means
// DefaultRecallTarget, queries ≤ 0 TuneQueries. It needs a trained index
// with a fetcher; the result is saved by the next Save.
func (x *Index) Tune(target float64, queries int) (Tuning, error) {
	return x.tune1(target, queries, true)
}

// tune1 is Tune; heldOut false measures with the query's own node in the
// walk (the earlier, optimistic measure, kept for comparison in tests).
func (x *Index) tune1(target float64, queries int, heldOut bool) (Tuning, error) {
	if target <= 0 {
		target = DefaultRecallTarget
	}
	if target > 1 {
		return Tuning{}, fmt.Errorf("tune: %w: recall target %v is above 1", ErrConfig, target)
	}
	if queries <= 0 {
		queries = TuneQueries
	}
	if !x.codesExact() {
		return Tuning{}, fmt.Errorf("tune: %w", ErrNoSource)
	}
	ids := tuneIDs(x.IDs(), queries)
	live := x.Len()
	want, _, err := x.truthIDs(ids, tuneK, nil)
	if err != nil {
		return Tuning{}, fmt.Errorf("tune: %w", err)
	}
	// Recall grows with ef, so the ladder is searched by bisection,
	// starting at the breadth an untuned index would use: the answer is an
	// ef that reaches the target whose predecessor on the ladder does not
	// (or the last one), found with about log₂ of the ladder's length
	// measurements instead of up to all of them.
	measured := map[int]Tuning{}
	measure := func(i int) (Tuning, error) {
		if t, ok := measured[i]; ok {
			return t, nil
		}
		found, _, _, err := x.searchIDs(ids, SearchOptions{K: tuneK, Ef: tuneLadder[i], Method: Graph, heldOut: heldOut})
		if err != nil {
			return Tuning{}, fmt.Errorf("tune: %w", err)
		}
		t := Tuning{Ef: tuneLadder[i], Recall: overlap(want, found), Queries: len(ids), Target: target, Live: live}
		measured[i] = t
		return t, nil
	}
	lo, hi := 0, len(tuneLadder)-1 // the answer is in [lo, hi]
	probe := max(0, slices.Index(tuneLadder, DefaultConfig().efFor(live)))
	for lo < hi {
		t, err := measure(probe)
		if err != nil {
			return Tuning{}, err
		}
		if t.Recall >= tuneAim(target) {
			hi = probe
		} else {
			lo = probe + 1
		}
		probe = (lo + hi) / 2
	}
	t, err := measure(lo)
	if err != nil {
		return Tuning{}, err
	}
	x.mu.Lock()
	x.tune = t
	x.mu.Unlock()
	return t, nil
}

// String is the sentence a build prints: "ef 96 gives recall@10 0.993 on
// 200 sampled images (target 0.99)"; the wording is the front ends'
// (types.IndexTuning).
func (t Tuning) String() string {
	return types.IndexTuning{Ef: t.Ef, Recall: t.Recall, Queries: t.Queries, Target: t.Target}.String()
}
