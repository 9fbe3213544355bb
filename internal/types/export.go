package types

// ExportResult says what was written.
type ExportResult struct {
	Path    string  `json:"path"`
	Format  string  `json:"format"` // "npz"
	Records int     `json:"records"`
	Dim     int     `json:"dim"`
	Labels  bool    `json:"labels"` // labels.npy was written (the store was clustered)
	Seconds float64 `json:"seconds"`
}
