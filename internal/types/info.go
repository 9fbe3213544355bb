package types

import (
	"fmt"
	"time"
)

// InfoResult is what a store holds.
type InfoResult struct {
	Path       string       `json:"store"` // the store folder (--db)
	Count      int          `json:"count"`
	Dim        int          `json:"dim"`
	Model      string       `json:"model"`
	ModelDesc  string       `json:"model_desc,omitempty"`
	ModelSpec  *ModelSpec   `json:"model_spec,omitempty"`
	Preset     string       `json:"preset"`
	InputSize  int          `json:"input_size,omitempty"`
	Schema     int          `json:"schema"`
	Created    time.Time    `json:"created"`
	Generation uint64       `json:"generation"`
	DiskBytes  int64        `json:"disk_bytes"`
	Index      *IndexInfo   `json:"index,omitempty"`
	Cluster    *ClusterInfo `json:"cluster,omitempty"`
}

// IndexInfo describes the index file beside the store.
type IndexInfo struct {
	Path       string `json:"path"`
	Vectors    int    `json:"vectors"`
	Generation uint64 `json:"generation"`
	Current    bool   `json:"current"`
	Problem    string `json:"problem,omitempty"`
	// Tuning is the search breadth the index chose and the recall@10 it
	// measured there (nil when the file has none).
	Tuning *IndexTuning `json:"tuning,omitempty"`
}

// ClusterInfo is the store's last clustering.
type ClusterInfo struct {
	K       int            `json:"k"`
	Seed    int64          `json:"seed"`
	Inertia float64        `json:"inertia"`
	Sizes   []int          `json:"sizes"`
	Params  map[string]any `json:"params,omitempty"` // numbers as numbers, switches as booleans
	At      time.Time      `json:"at"`
	Stale   bool           `json:"stale"` // vectors changed since
}

// String is the one-line description info prints.
func (i *IndexInfo) String() string {
	if i.Problem != "" {
		return fmt.Sprintf("%s: %s (the next query rebuilds it)", i.Path, i.Problem)
	}
	state := "up to date"
	if !i.Current {
		state = "behind the store (updated on the next query)"
	}
	if i.Tuning != nil {
		state += "; " + i.Tuning.String()
	}
	return fmt.Sprintf("%s: %d vectors, %s", i.Path, i.Vectors, state)
}
