package cluster

import (
	"cmp"
	"slices"

	"github.com/vecimg/vecimg/internal/sheet"
)

// SheetClusters lists, for every cluster of res, up to n member ids ordered
// by distance to the centre (nearest first, ties in NaturalLess order), with
// their distances: the input of sheet.WriteClusters.
func SheetClusters(res *Result, n int) []sheet.Cluster {
	members := make([][]int, res.K)
	for i, l := range res.Labels {
		members[l] = append(members[l], i)
	}
	out := make([]sheet.Cluster, res.K)
	for l, idx := range members {
		slices.SortFunc(idx, func(a, b int) int {
			if c := cmp.Compare(res.Distances[a], res.Distances[b]); c != 0 {
				return c
			}
			return NaturalCompare(res.IDs[a], res.IDs[b])
		})
		ids := make([]string, 0, min(n, len(idx)))
		dists := make([]float32, 0, min(n, len(idx)))
		for _, i := range idx[:min(n, len(idx))] {
			ids = append(ids, res.IDs[i])
			dists = append(dists, res.Distances[i])
		}
		out[l] = sheet.Cluster{Label: l, Size: len(idx), IDs: ids, Distances: dists}
	}
	return out
}
