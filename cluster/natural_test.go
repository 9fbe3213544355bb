package cluster

import (
	"cmp"
	"slices"
	"testing"
)

func TestNaturalLess(t *testing.T) {
	sorted := []string{"", "0", "01", "1", "2", "007", "10", "11", "99", "100", "1000000000000000000000",
		"a", "a1", "a2", "a10", "a10b", "a10c", "ab", "b", "img2.jpg", "img10.jpg", "img010.png"}
	for i := range sorted {
		for j := range sorted {
			if got, want := NaturalLess(sorted[i], sorted[j]), i < j; got != want {
				t.Errorf("NaturalLess(%q, %q) = %v, want %v", sorted[i], sorted[j], got, want)
			}
			if got, want := NaturalCompare(sorted[i], sorted[j]), cmp.Compare(i, j); got != want {
				t.Errorf("NaturalCompare(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
	shuffled := slices.Clone(sorted)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, NaturalCompare)
	if !slices.Equal(shuffled, sorted) {
		t.Errorf("sorted: %q", shuffled)
	}
}
