package app

import (
	"context"
	"math"
	"strconv"

	"github.com/vecimg/vecimg/internal/types"
)

// InfoResult is types.InfoResult.
type InfoResult = types.InfoResult

// IndexInfo is types.IndexInfo.
type IndexInfo = types.IndexInfo

// ClusterInfo is types.ClusterInfo.
type ClusterInfo = types.ClusterInfo

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
