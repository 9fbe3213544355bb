package types

// ExportParquetResult says what was written.
type ExportParquetResult struct {
	Path       string        `json:"path"`
	Format     string        `json:"format"` // "parquet"
	Records    int64         `json:"records"`
	Dim        int           `json:"dim"`
	VectorType string        `json:"vector_type"`
	Files      []ParquetFile `json:"files"`
	Bytes      int64         `json:"bytes"` // all data files
	Seconds    float64       `json:"seconds"`
}
