package types

// Neighbor is one result of a query.
type Neighbor struct {
	ID       string  `json:"id"`
	Distance float32 `json:"distance"` // cosine distance, 1 − cos
	Path     string  `json:"path"`
}

// SimilarResult is the answer to a query, nearest first.
type SimilarResult struct {
	Query   string `json:"query"`
	QueryID string `json:"query_id,omitempty"` // the stored image the query resolved to
	// QueryKind says how the query was resolved: "id" (a stored image,
	// QueryID), "file" (QueryFile was embedded; it is not stored) or
	// "vector".
	QueryKind string     `json:"query_kind"`
	QueryFile string     `json:"query_file,omitempty"`
	Results   []Neighbor `json:"results"`
}

// RecallResult is what Recall measured.
type RecallResult struct {
	Queries int     `json:"queries"`
	K       int     `json:"k"`
	Ef      int     `json:"ef"`
	Recall  float64 `json:"recall"`
	Vectors int     `json:"vectors"`
	// ReadMean and ReadP99: exact vectors a search read (mean, 99th
	// percentile over the queries); Capped: searches stopped by the
	// re-ranking cap before the bound said stop.
	ReadMean float64 `json:"vectors_read_mean"`
	ReadP99  int     `json:"vectors_read_p99"`
	Capped   int     `json:"capped"`
	// ExactReadMean and ExactReadP99: the same for the exact searches that
	// gave the true neighbours (from the index's codes).
	ExactReadMean float64 `json:"exact_vectors_read_mean"`
	ExactReadP99  int     `json:"exact_vectors_read_p99"`
	// Tuning is the breadth the index chose for itself, if it did.
	Tuning *IndexTuning `json:"tuning,omitempty"`
}
