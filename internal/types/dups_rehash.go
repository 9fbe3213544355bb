package types

// RehashResult says what a rehash did: images hashed, and the records whose
// source file could not be hashed, by reason.
type RehashResult struct {
	Missing int        `json:"missing"` // records without hashes before
	Hashed  int        `json:"hashed"`
	Gone    []string   `json:"gone,omitempty"`    // source paths that no longer exist
	Changed []string   `json:"changed,omitempty"` // source files whose content is not the stored one any more
	Bad     []BadImage `json:"bad,omitempty"`     // unreadable or undecodable files
}

// BadImage is a file that could not be read or decoded, and why.
type BadImage struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}
