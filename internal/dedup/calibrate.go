package dedup

import (
	"cmp"
	"slices"
)

// CalPair is one pair of a calibration set: the distances of each signal
// (negative when unknown: an image without hashes) and whether the two
// images are copies of one another. Group is the transformation that made
// the copy (an index into the caller's list; -1 for a pair of two stored
// images).
type CalPair struct {
	Vector   float32
	PHash    int
	DHash    int
	Positive bool
	Group    int
}

// Thresholds are the thresholds of the three signals; a negative one is
// off.
type Thresholds struct {
	Vector float64 `json:"vector"`
	PHash  int     `json:"phash"`
	DHash  int     `json:"dhash"`
}

// Match reports whether the thresholds call the pair a duplicate.
func (t Thresholds) Match(p CalPair) bool {
	return (t.Vector >= 0 && p.Vector >= 0 && float64(p.Vector) <= t.Vector) ||
		(t.PHash >= 0 && p.PHash >= 0 && p.PHash <= t.PHash) ||
		(t.DHash >= 0 && p.DHash >= 0 && p.DHash <= t.DHash)
}

// Score is pair precision and recall (and F1) over a set of pairs.
type Score struct {
	Precision float64 `json:"precision"` // 0 when nothing was predicted (TP+FP = 0)
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	Positives int     `json:"positives"`
}

func score(tp, fp, pos int) Score {
	s := Score{TP: tp, FP: fp, Positives: pos}
	if tp+fp > 0 {
		s.Precision = float64(tp) / float64(tp+fp)
	}
	if pos > 0 {
		s.Recall = float64(tp) / float64(pos)
	}
	if tp > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}

// Evaluate scores t on the pairs whose Group keep accepts (nil: all).
func Evaluate(pairs []CalPair, t Thresholds, keep func(group int) bool) Score {
	tp, fp, pos := 0, 0, 0
	for _, p := range pairs {
		if keep != nil && !keep(p.Group) {
			continue
		}
		if p.Positive {
			pos++
		}
		if t.Match(p) {
			if p.Positive {
				tp++
			} else {
				fp++
			}
		}
	}
	return score(tp, fp, pos)
}

// Choose picks the thresholds with the highest recall whose pair precision
// is at least minPrecision, among the signals allowed (a signal not allowed
// stays off): every combination of pHash and dHash threshold in Off..15,
// each with the largest vector threshold that keeps the precision (swept
// over the positive pairs' distances). Ties go to the higher precision,
// then to fewer signals. ok is false when no combination reaches
// minPrecision with any recall.
func Choose(pairs []CalPair, minPrecision float64, vector, ph, dh bool) (best Thresholds, s Score, ok bool) {
	// Pairs by vector distance, unknown ones last.
	byVec := slices.Clone(pairs)
	slices.SortFunc(byVec, func(a, b CalPair) int {
		if (a.Vector < 0) != (b.Vector < 0) {
			if a.Vector < 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Vector, b.Vector)
	})
	pos := 0
	for _, p := range pairs {
		if p.Positive {
			pos++
		}
	}
	hashRange := func(on bool) []int {
		if !on {
			return []int{Off}
		}
		r := []int{Off}
		for h := 0; h <= maxHash; h++ {
			r = append(r, h)
		}
		return r
	}
	signals := func(t Thresholds) int {
		n := 0
		for _, on := range []bool{t.Vector >= 0, t.PHash >= 0, t.DHash >= 0} {
			if on {
				n++
			}
		}
		return n
	}
	better := func(t Thresholds, c Score) bool {
		switch {
		case !ok:
			return true
		case c.Recall != s.Recall:
			return c.Recall > s.Recall
		case c.Precision != s.Precision:
			return c.Precision > s.Precision
		}
		return signals(t) < signals(best)
	}
	for _, hp := range hashRange(ph) {
		for _, hd := range hashRange(dh) {
			t := Thresholds{Vector: Off, PHash: hp, DHash: hd}
			// Hashes alone.
			tp, fp := 0, 0
			for _, p := range pairs {
				if t.Match(p) {
					if p.Positive {
						tp++
					} else {
						fp++
					}
				}
			}
			if c := score(tp, fp, pos); tp > 0 && c.Precision >= minPrecision && better(t, c) {
				best, s, ok = t, c, true
			}
			if !vector {
				continue
			}
			// Raise D through the pairs the hashes do not match yet.
			for i := 0; i < len(byVec) && byVec[i].Vector >= 0; i++ {
				p := byVec[i]
				if !t.Match(p) {
					if p.Positive {
						tp++
					} else {
						fp++
					}
				}
				if i+1 < len(byVec) && byVec[i+1].Vector == p.Vector {
					continue // the threshold lies between distinct distances
				}
				c := score(tp, fp, pos)
				if c.Precision < minPrecision {
					continue
				}
				tv := t
				tv.Vector = float64(p.Vector)
				if p.Positive && better(tv, c) {
					best, s, ok = tv, c, true
				}
			}
		}
	}
	return best, s, ok
}
