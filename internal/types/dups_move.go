package types

// Move is one planned or done move of a duplicate that is not kept.
type Move struct {
	Group int    `json:"group"`
	ID    string `json:"id"`
	From  string `json:"from"`
	To    string `json:"to"`
	Keep  string `json:"keep"` // the id of the group's kept image
}

// MoveResult says what --move-to did (or, with DryRun, would do).
type MoveResult struct {
	Dir    string `json:"dir"`
	DryRun bool   `json:"dry_run"`
	Moves  []Move `json:"moves"`
	// CSV lists every move: each row is written (and synced) before its
	// file moves, so after an interruption every file is where it was or
	// where the CSV says.
	CSV string `json:"csv,omitempty"`
	// Removed counts the records of moved files deleted from the store.
	Removed int `json:"removed"`
}
