package cluster

import (
	"context"
	"math"
	"slices"
)

// Swap repair.
//
// k-means++ followed by Lloyd iterations often ends in a local optimum
// where one centre covers two (or more) true groups while two centres share
// another group; Lloyd iterations cannot move a centre across. repair looks
// for such a pair on the in-memory seeding sample: the cluster whose split
// in two (by 2-means on its members) would lower the inertia most, and the
// cluster whose removal (its members moving to their second-nearest centre)
// would raise it least. When the estimated gain exceeds the cost it moves
// the cheap centre into the split cluster, reruns Lloyd, and keeps the
// result only if the inertia went down. The inertia never rises, and on
// data without such defects the estimated gains stay below the costs, so
// nothing is tried.

// repairTrials caps the swaps repair tries, as a multiple of K;
// repairFailures stops it after that many rejected swaps in a row.
const (
	repairTrials   = 2
	repairFailures = 3
)

// repair improves the converged clustering r of the in-memory dataset ds
// (labels equal to centre indices, not renumbered) and returns the best
// result found and the number of swaps kept.
// Each try is reported to prog (StageRepair).
func (ds *dataset) repair(ctx context.Context, r *Result, prog *reporter) (*Result, int, error) {
	k := r.K
	tried := make([]bool, k)
	swaps, failures := 0, 0
	tries := 0
	prog.start(StageRepair, 0, int64(repairTrials*k))
	for range repairTrials * k {
		if failures == repairFailures {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		c := newMat(k, ds.d)
		for j, cj := range r.Centers {
			copy(c.row(j), cj)
			c.norms[j] = dot(cj, cj)
		}
		cost := removalCosts(ds.all, c, r.Labels, ds.workers)
		gain, split := ds.splitGains(r)
		t, v := -1, -1
		for j := range k {
			if !tried[j] && gain[j] > 0 && (t < 0 || gain[j] > gain[t]) {
				t = j
			}
		}
		if t < 0 {
			break
		}
		for j := range k {
			if j != t && (v < 0 || cost[j] < cost[v]) {
				v = j
			}
		}
		if v < 0 || gain[t] <= cost[v] {
			break
		}
		copy(c.row(t), split[t][0])
		copy(c.row(v), split[t][1])
		if ds.normalize {
			normalize(c.row(t))
			normalize(c.row(v))
		}
		c.norms[t] = dot(c.row(t), c.row(t))
		c.norms[v] = dot(c.row(v), c.row(v))
		next, err := ds.lloyd(ctx, c, samplePasses)
		if err != nil {
			return nil, 0, err
		}
		tries++
		prog.update(int64(tries))
		if next.Inertia < r.Inertia*(1-1e-9) {
			r = next
			clear(tried)
			swaps++
			failures = 0
		} else {
			tried[t] = true
			failures++
		}
	}
	prog.finish(int64(tries))
	return r, swaps, nil
}

// removalCosts returns, per centre, the inertia increase if it were removed
// and its members moved to their second-nearest centre (from the
// ||x||² − 2x·c + ||c||² distances).
func removalCosts(m *mat, c *mat, labels []int32, workers int) []float64 {
	b := newBlock(c)
	delta := make([]float64, m.rows())
	parallel(workers, m.rows(), 16, func(lo, hi int) {
		eachDots(m.row, lo, hi, b, func(i int, dots []float32) {
			own := labels[i]
			d1 := sqDistNorm(m.norms[i], dots[own], b.norms[own])
			d2 := math.Inf(1)
			for j, dt := range dots {
				if int32(j) != own {
					d2 = min(d2, sqDistNorm(m.norms[i], dt, b.norms[j]))
				}
			}
			delta[i] = d2 - d1
		})
	})
	cost := make([]float64, c.rows())
	for i, l := range labels {
		cost[l] += delta[i]
	}
	return cost
}

// splitGains runs 2-means on the members of every cluster of r and returns
// the inertia decrease of each split and the two new centres.
func (ds *dataset) splitGains(r *Result) ([]float64, [][2][]float32) {
	k, d := r.K, ds.d
	members := make([][]int, k)
	for i, l := range r.Labels {
		members[l] = append(members[l], i)
	}
	gain := make([]float64, k)
	split := make([][2][]float32, k)
	parallel(ds.workers, k, 1, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			gain[j], split[j] = twoMeans(ds.all, members[j], r.Distances, d, ds.normalize)
		}
	})
	return gain, split
}

// twoMeans splits the rows idx of m in two by Lloyd iterations started from
// the member farthest from the current centre and the member farthest from
// that one. It returns the inertia decrease relative to dists (the squared
// distances to the current centre) and the two centres.
func twoMeans(m *mat, idx []int, dists []float32, d int, norm bool) (float64, [2][]float32) {
	var none [2][]float32
	if len(idx) < 2 {
		return 0, none
	}
	before := 0.0
	far := idx[0]
	for _, i := range idx {
		before += float64(dists[i])
		if dists[i] > dists[far] {
			far = i
		}
	}
	other, od := -1, float32(-1)
	for _, i := range idx {
		if dd := sqDist(m.row(i), m.row(far)); dd > od {
			other, od = i, dd
		}
	}
	if od <= 0 {
		return 0, none
	}
	a, b := slices.Clone(m.row(far)), slices.Clone(m.row(other))
	side := make([]bool, len(idx))
	sa, sb := make([]float64, d), make([]float64, d)
	after := 0.0
	for range 10 {
		after = 0
		changed := false
		for t, i := range idx {
			x := m.row(i)
			da, db := sqDist(x, a), sqDist(x, b)
			if s := db < da; s != side[t] {
				side[t], changed = s, true
			}
			after += float64(min(da, db))
		}
		clear(sa)
		clear(sb)
		na, nb := 0, 0
		for t, i := range idx {
			s, n := sa, &na
			if side[t] {
				s, n = sb, &nb
			}
			*n++
			for q, v := range m.row(i) {
				s[q] += float64(v)
			}
		}
		if na == 0 || nb == 0 {
			return 0, none
		}
		for q := range d {
			a[q], b[q] = float32(sa[q]/float64(na)), float32(sb[q]/float64(nb))
		}
		if norm {
			normalize(a)
			normalize(b)
		}
		if !changed {
			break
		}
	}
	return before - after, [2][]float32{a, b}
}
