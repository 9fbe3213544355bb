package cluster

import (
	"cmp"
	"slices"
)

// renumber relabels clusters by size, largest first, ties broken by the
// cluster whose NaturalLess-smallest id comes first (then by old number).
func (r *Result) renumber() {
	k := r.K
	minID := make([]string, k)
	has := make([]bool, k)
	for i, l := range r.Labels {
		if id := r.IDs[i]; !has[l] || NaturalLess(id, minID[l]) {
			minID[l], has[l] = id, true
		}
	}
	order := make([]int, k)
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(r.Sizes[b], r.Sizes[a]); c != 0 {
			return c
		}
		return NaturalCompare(minID[a], minID[b])
	})
	newOf := make([]int32, k)
	centers := make([][]float32, k)
	sizes := make([]int, k)
	for nw, old := range order {
		newOf[old] = int32(nw)
		centers[nw] = r.Centers[old]
		sizes[nw] = r.Sizes[old]
	}
	for i, l := range r.Labels {
		r.Labels[i] = newOf[l]
	}
	r.Centers, r.Sizes = centers, sizes
}
