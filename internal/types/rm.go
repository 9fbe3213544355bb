package types

// RemovedRecord is one deleted record.
type RemovedRecord struct {
	ID   string `json:"id"`
	Path string `json:"path"`
}

// RemoveResult says what Remove deleted.
type RemoveResult struct {
	Removed []RemovedRecord `json:"removed"`
	Images  int             `json:"images"` // records left in the store
}
