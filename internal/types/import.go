package types

// ImportResult says what Import did.
type ImportResult struct {
	File     string  `json:"file"`
	Format   string  `json:"format"`
	Rows     int     `json:"rows"`
	Dim      int     `json:"dim"`
	Replaced int     `json:"replaced"` // of Rows, ids that were already in the store
	Restored bool    `json:"restored"` // a vecimg Parquet export, restored with its manifest, paths, hashes (and labels)
	Model    string  `json:"model"`
	Seconds  float64 `json:"seconds"`
}
