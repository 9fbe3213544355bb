package types

// SheetsInfo says where contact sheets were written.
type SheetsInfo struct {
	Dir        string   `json:"dir"`
	Index      string   `json:"index"`
	Files      int      `json:"files"`
	Unreadable []string `json:"unreadable,omitempty"`
}

// DupThresholds are the thresholds a dups run decided with, and where each
// came from (FromDefault, FromCalibrated, FromGiven). A negative threshold
// is a signal left off.
type DupThresholds struct {
	Vector float64           `json:"vector"`
	PHash  int               `json:"phash"`
	DHash  int               `json:"dhash"`
	Source map[string]string `json:"source"` // by signal: "vector", "phash", "dhash"
	// Calibration is the store's calibration, when it has one.
	Calibration *DupCalibration `json:"calibration,omitempty"`
}

// DupsResult is the answer of Dups.
type DupsResult struct {
	Threshold  float64       `json:"threshold"` // = Thresholds.Vector
	Thresholds DupThresholds `json:"thresholds"`
	Keep       string        `json:"keep"`
	Images     int           `json:"images"`
	// Hashed counts the images with perceptual hashes; when it is 0 the
	// run matched on vectors alone.
	Hashed  int         `json:"hashed"`
	Groups  []DupGroup  `json:"groups"`
	Stats   DupStats    `json:"stats"`
	K       int         `json:"k"`
	MaxK    int         `json:"max_k"`
	CSV     string      `json:"csv,omitempty"`
	Sheets  *SheetsInfo `json:"sheets,omitempty"`
	Seconds float64     `json:"seconds"`
	// Rehash is what --rehash did.
	Rehash *RehashResult `json:"rehash,omitempty"`
	// Moved is what --move-to did or, with --dry-run, would do.
	Moved *MoveResult `json:"moved,omitempty"`
}
