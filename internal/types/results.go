package types

import "time"

// IngestStats counts what an ingest did.
type IngestStats struct {
	Total    int       `json:"total"`    // image files found: Stored+Copied+Present+len(Bad) once the run ends
	Stored   int       `json:"stored"`   // embedded and stored in this run (counted once written)
	Copied   int       `json:"copied"`   // stored with the vector of an identical file already in the store
	Replaced int       `json:"replaced"` // of Stored, records whose file had changed
	Present  int       `json:"skipped_present"`
	Bad      []BadFile `json:"bad"`
	Seconds  float64   `json:"seconds"`
	PerSec   float64   `json:"images_per_second"` // images embedded per second
	Device   string    `json:"device,omitempty"`
}

// SignalThresholds are the thresholds of the three duplicate signals; a
// negative one is the signal left off.
type SignalThresholds struct {
	Vector float64 `json:"vector"` // cosine distance D
	PHash  int     `json:"phash"`  // Hamming distance
	DHash  int     `json:"dhash"`  // Hamming distance
}

// DupCalibration is a store's calibrated duplicate thresholds and how well
// they did on the copies of its images.
type DupCalibration struct {
	Vector float64 `json:"vector"` // cosine distance D; negative: the signal is off
	PHash  int     `json:"phash"`  // Hamming distance; negative: off
	DHash  int     `json:"dhash"`  // Hamming distance; negative: off
	// Sample is the number of stored images copied; Precision and Recall
	// are the pair precision and recall of the chosen thresholds on them.
	Sample    int       `json:"sample"`
	Precision float64   `json:"precision"`
	Recall    float64   `json:"recall"`
	At        time.Time `json:"at"`
}

// DupStats describes the work of a duplicate search.
type DupStats struct {
	Items     int `json:"items"`     // images seen
	Identical int `json:"identical"` // files in identical groups that are not kept (skipped by the other passes)
	Hashed    int `json:"hashed"`    // images with perceptual hashes
	Queried   int `json:"queried"`   // images whose neighbours were asked for
	Raised    int `json:"raised"`    // images asked again with a larger k
	Capped    int `json:"capped"`    // images whose MaxK-th neighbour was still within D
	Edges     int `json:"edges"`     // neighbour pairs within D found (each direction counts)
	// HashPairs counts the pairs within a hash threshold, HashProbed the
	// candidate pairs the banded lookup checked to find them.
	HashPairs  int `json:"hash_pairs"`
	HashProbed int `json:"hash_probed"`
	Pairs      int `json:"pairs"`     // distinct matching pairs, all signals
	InGroups   int `json:"in_groups"` // images that are members of some group
	// Chained counts members that match no signal against their kept image
	// (0 with star grouping).
	Chained int `json:"chained"`
}

// SweepRow is one k of `cluster --report`.
type SweepRow struct {
	K          int     `json:"k"`
	Inertia    float64 `json:"inertia"`
	Sizes      []int   `json:"sizes"`
	Iterations int     `json:"iterations"`
	Converged  bool    `json:"converged"`
	// Silhouette is the mean silhouette coefficient of a seeded sample, in
	// [−1, 1], higher is better; nil (null) when the sample holds fewer
	// than two clusters.
	Silhouette *float64 `json:"silhouette"`
}

// MergeCounts counts what a merge did.
type MergeCounts struct {
	Inputs     []MergeInput    `json:"inputs"`
	Written    int64           `json:"written"`    // records stored in this run (renamed ones included)
	Present    int64           `json:"present"`    // records the output already held with the same content (a resumed merge)
	Duplicates int64           `json:"duplicates"` // identical copies of a record in several inputs, stored once
	Conflicts  []MergeConflict `json:"conflicts"`  // the first ones
	NConflicts int             `json:"n_conflicts"`
}

// MergeInput is the records read from one input of a merge.
type MergeInput struct {
	Name    string `json:"name"`
	Records int64  `json:"records"`
}

// MergeConflict is one id that holds different content in the inputs.
type MergeConflict struct {
	ID string `json:"id"`
	// Holders names where each distinct content was found ("OUT" for the
	// output store), the kept one first.
	Holders []string `json:"holders"`
	// Renamed are the ids given to the other contents (rename only).
	Renamed []string `json:"renamed,omitempty"`
}

// ParquetFile is one file of a Parquet export.
type ParquetFile struct {
	Name  string `json:"name"` // base name inside the folder
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}
