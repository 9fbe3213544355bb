package cluster

import "fmt"

// AdjustedRandIndex compares two labelings of the same items (Hubert &
// Arabie 1985): 1 for identical partitions (whatever the label numbers),
// about 0 for independent ones, negative when worse than chance. Labels may
// be any int32 values. Two partitions that are both a single cluster, or
// both all singletons, score 1.
func AdjustedRandIndex(a, b []int32) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("%w: %d and %d labels", ErrLengthMismatch, len(a), len(b))
	}
	type pair struct{ x, y int32 }
	joint := map[pair]int{}
	rows := map[int32]int{}
	cols := map[int32]int{}
	for i := range a {
		joint[pair{a[i], b[i]}]++
		rows[a[i]]++
		cols[b[i]]++
	}
	choose2 := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	index, sumA, sumB := 0.0, 0.0, 0.0
	for _, n := range joint {
		index += choose2(n)
	}
	for _, n := range rows {
		sumA += choose2(n)
	}
	for _, n := range cols {
		sumB += choose2(n)
	}
	total := choose2(len(a))
	if total == 0 {
		return 1, nil
	}
	expected := sumA * sumB / total
	maxIndex := (sumA + sumB) / 2
	if maxIndex == expected {
		return 1, nil
	}
	return (index - expected) / (maxIndex - expected), nil
}
