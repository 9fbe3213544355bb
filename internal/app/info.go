package app

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vecimg/vecimg/internal/types"
)

// InfoResult is what a store holds.
type InfoResult struct {
	Path       string           `json:"store"` // the store folder (--db)
	Count      int              `json:"count"`
	Dim        int              `json:"dim"`
	Model      string           `json:"model"`
	ModelDesc  string           `json:"model_desc,omitempty"`
	ModelSpec  *types.ModelSpec `json:"model_spec,omitempty"`
	Preset     string           `json:"preset"`
	InputSize  int              `json:"input_size,omitempty"`
	Schema     int              `json:"schema"`
	Created    time.Time        `json:"created"`
	Generation uint64           `json:"generation"`
	DiskBytes  int64            `json:"disk_bytes"`
	Index      *IndexInfo       `json:"index,omitempty"`
	Cluster    *ClusterInfo     `json:"cluster,omitempty"`
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

// Info reports on the store, its index file and its last clustering,
// changing nothing.
func (a *App) Info(ctx context.Context) (InfoResult, error) {
	var in InfoResult
	st, err := a.Store()
	if err != nil {
		return in, err
	}
	in.Path = st.Path()
	in.Schema = st.Schema()
	man, ok, err := st.Manifest()
	if err != nil {
		return in, err
	}
	if ok {
		in.Dim, in.Model, in.ModelDesc, in.Preset, in.InputSize, in.Created = man.Dim, man.Model, man.ModelDesc, man.Preset, man.InputSize, man.Created
		spec := modelSpec(man.Spec)
		in.ModelSpec = &spec
	}
	if in.Count, err = st.Count(); err != nil {
		return in, err
	}
	if in.Generation, err = st.Generation(); err != nil {
		return in, err
	}
	if in.DiskBytes, err = st.DiskSize(); err != nil {
		return in, err
	}
	in.Index = describeIndex(st.Path(), in.Generation)
	if run, ok, err := st.ClusterRun(); err != nil {
		return in, err
	} else if ok {
		in.Cluster = &ClusterInfo{K: run.K, Seed: run.Seed, Inertia: run.Inertia, Sizes: run.Sizes, Params: typedParams(run.Params), At: run.At, Stale: run.Generation != in.Generation}
	}
	return in, nil
}

// typedParams gives the stored clustering parameters (text) their JSON
// types: numbers and booleans as such, the rest as strings.
func typedParams(p map[string]string) map[string]any {
	if p == nil {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			out[k] = f
		} else if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
			out[k] = b
		} else {
			out[k] = v
		}
	}
	return out
}
