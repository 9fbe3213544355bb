package types

// IngestResult is the ingest's count of what it did (IngestStats; its
// JSON fields are those of the stats).
type IngestResult struct {
	IngestStats
	Dir          string    `json:"dir"`
	Store        string    `json:"store"`                  // the store written (--db)
	Model        ModelSpec `json:"model"`                  // the model that embedded the images
	ModelDesc    string    `json:"model_desc"`             // the same in words
	DeviceReason string    `json:"device_reason"`          // why the device (Device) was chosen
	Shard        string    `json:"shard,omitempty"`        // "I/N" when one shard was ingested
	ShardFrom    string    `json:"shard_source,omitempty"` // where I and N came from
	// Interrupted: the run was stopped (ctx ended); the counts are of what
	// was committed before the stop.
	Interrupted bool `json:"interrupted"`
	// Out is what --out wrote; nil without --out.
	Out *ExportParquetResult `json:"out,omitempty"`
	// Rehashed counts records of the folder stored without image hashes
	// (before schema 3) that got them in this run.
	Rehashed int `json:"rehashed,omitempty"`
	// Int8Hint, after a CPU fp32 ingest of over 100 images, is what int8
	// measured on this kind of CPU (nil when nothing was measured).
	Int8Hint *Int8Hint `json:"int8_hint,omitempty"`
}
