package types

import "fmt"

// IndexTuning is the search breadth an index chose for itself after a
// build or a large update: the smallest ef whose recall@10, measured on
// Queries stored images against exact search, reached Target.
type IndexTuning struct {
	Ef      int     `json:"ef"`
	Recall  float64 `json:"recall"`
	Queries int     `json:"queries"`
	Target  float64 `json:"target"`
}

// String is the sentence a build prints: "ef 96 gives recall@10 0.993 on
// 200 sampled images (target 0.99)".
func (t IndexTuning) String() string {
	if t.Ef == 0 {
		return "not tuned"
	}
	s := fmt.Sprintf("ef %d gives recall@10 %.3f on %d sampled images", t.Ef, t.Recall, t.Queries)
	switch {
	case t.Target <= 0:
	case t.Recall < t.Target:
		s += fmt.Sprintf(" (below the target %g: the largest ef tried)", t.Target)
	default:
		s += fmt.Sprintf(" (target %g)", t.Target)
	}
	return s
}
