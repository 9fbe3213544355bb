package types

// MergeResult says what Merge did.
type MergeResult struct {
	Into string `json:"store"` // the store merged into (--db)
	MergeCounts
	Seconds float64 `json:"seconds"`
}
