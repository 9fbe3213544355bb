package types

// OutlierNeighbor is one of an outlier's nearest images.
type OutlierNeighbor struct {
	ID       string  `json:"id"`
	Distance float32 `json:"distance"`
}

// OutlierImage is one outlier: its score (cosine distance to its K-th
// nearest other image) and those K neighbours, nearest first.
type OutlierImage struct {
	Rank       int               `json:"rank"`
	ID         string            `json:"id"`
	Path       string            `json:"path"`
	Score      float32           `json:"score"`
	Neighbours []OutlierNeighbor `json:"neighbours"`
}

// OutliersResult is the answer of Outliers, highest score first.
type OutliersResult struct {
	K        int            `json:"k"`
	N        int            `json:"n"`
	Images   int            `json:"images"`
	Outliers []OutlierImage `json:"outliers"`
	Sheets   *SheetsInfo    `json:"sheets,omitempty"`
	Seconds  float64        `json:"seconds"`
}
