package types

// BuildModelResult describes the written model.
type BuildModelResult struct {
	Path      string     `json:"path"`
	Input     string     `json:"input"`
	Output    string     `json:"output"`
	Size      int        `json:"size"`
	Dim       int        `json:"dim"`
	Precision string     `json:"precision"`
	Bytes     int64      `json:"bytes"`
	Quant     *QuantSpec `json:"quant,omitempty"`
}

// Int8Hint is what int8 measured against fp32 on this kind of CPU, given
// after a CPU fp32 ingest of more than 100 images (IngestResult.Int8Hint).
type Int8Hint struct {
	CPU        string  `json:"cpu"`         // this CPU's int8-relevant features
	Speedup    float64 `json:"speedup"`     // int8 img/s ÷ fp32 img/s, as measured
	CosineMin  float64 `json:"cosine_min"`  // of int8 to fp32 vectors, as measured
	CosineMean float64 `json:"cosine_mean"` //
	Where      string  `json:"measured"`    // where and how it was measured
}
