package cluster

import "testing"

func TestSheetClusters(t *testing.T) {
	m := gaussianMixture(21, 90, 8, 3, 4, 1)
	res := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: 3})
	clusters := SheetClusters(res, 8)
	if len(clusters) != 3 {
		t.Fatalf("%d sheet clusters", len(clusters))
	}
	for _, c := range clusters {
		if c.Size != res.Sizes[c.Label] || len(c.IDs) != min(8, c.Size) || len(c.Distances) != len(c.IDs) {
			t.Fatalf("cluster %+v, sizes %v", c, res.Sizes)
		}
	}
	// The ids shown are the members nearest the centre, nearest first.
	idx := map[string]int{}
	for i, id := range res.IDs {
		idx[id] = i
	}
	for _, c := range clusters {
		for j, id := range c.IDs {
			if d := res.Distances[idx[id]]; d != c.Distances[j] || (j > 0 && d < c.Distances[j-1]) {
				t.Fatalf("cluster %d: %s at %d has distance %v (shown %v)", c.Label, id, j, d, c.Distances)
			}
		}
		last := c.Distances[len(c.Distances)-1]
		shown := map[string]bool{}
		for _, id := range c.IDs {
			shown[id] = true
		}
		for i, l := range res.Labels {
			if int(l) == c.Label && !shown[res.IDs[i]] && res.Distances[i] < last {
				t.Fatalf("cluster %d: %s (distance %v) is nearer than a shown member", c.Label, res.IDs[i], res.Distances[i])
			}
		}
	}
}
