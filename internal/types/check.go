package types

// Problem is one thing Check found wrong.
type Problem struct {
	Where  string `json:"where"`         // "store" or "index" (the index file, the vector positions, their temporary files)
	Key    string `json:"key,omitempty"` // the store key or file, or the index file path
	ID     string `json:"id,omitempty"`  // the record it concerns, when known
	Reason string `json:"reason"`
}

// Repaired is what Check with Repair changed.
type Repaired struct {
	Records []string `json:"records"` // ids of the damaged records dropped
	Keys    int      `json:"keys"`    // index entries dropped or added
	Files   []string `json:"files"`   // files removed: a damaged index file, stale temporary files
}

// CheckResult is the outcome of Check.
type CheckResult struct {
	Store      string     `json:"store"`
	Records    int        `json:"records"`
	Generation uint64     `json:"generation"`
	Schema     int        `json:"schema"`
	Index      *IndexInfo `json:"index,omitempty"` // nil when there is no index file
	OK         bool       `json:"ok"`
	Problems   []Problem  `json:"problems"`
	Repaired   *Repaired  `json:"repaired,omitempty"` // with Repair: what was dropped (Problems are those left)
	// Stalled: a read of the store did not return within
	// store.CheckStallTimeout; the last problem says where, and what lies
	// after it was not checked (nor repaired).
	Stalled bool `json:"stalled,omitempty"`
}
