package types

// ClusterResult is what a clustering did.
type ClusterResult struct {
	K          int     `json:"k"`
	N          int     `json:"n"`
	Inertia    float64 `json:"inertia"`
	Sizes      []int   `json:"sizes"`
	Iterations int     `json:"iterations"`
	Refine     int     `json:"refine_passes"`
	Converged  bool    `json:"converged"`
	FitSeconds float64 `json:"fit_seconds"` // k-means alone
	Seconds    float64 `json:"seconds"`     // the whole run: k-means, labels, CSV and sheets

	Export   string   `json:"export,omitempty"`
	Sheets   string   `json:"sheets,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// ReportResult is the comparison, one row per k, and the suggested k.
type ReportResult struct {
	Rows      []SweepRow `json:"rows"`
	Suggested int        `json:"suggested_k"`
}
