package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/store"
)

// vecimgExport opens path as a vecimg Parquet export (one that carries its
// store's manifest); ok is false for anything else (a foreign file, npz).
func vecimgExport(path string) (*parquetio.Dataset, store.Manifest, bool) {
	var m store.Manifest
	if _, err := os.Stat(path); err != nil || !parquetio.IsParquet(path) {
		return nil, m, false
	}
	d, err := parquetio.Open(path, parquetio.ReadOptions{})
	if err != nil || !d.Vecimg || len(d.Manifest) == 0 || json.Unmarshal(d.Manifest, &m) != nil {
		return nil, m, false
	}
	return d, m, true
}

// restoreExport imports a vecimg Parquet export as it was exported: its
// store's manifest (model spec, preset), and each record's path, hash and
// size, through the merge rules (a store made otherwise is refused, an id
// stored with other content is a conflict). Into a store that held nothing,
// the exported cluster labels are restored too.
func (a *App) restoreExport(ctx context.Context, o ImportOptions, d *parquetio.Dataset, man store.Manifest) (ImportResult, error) {
	res := ImportResult{File: o.File, Format: "parquet", Dim: d.Dim, Model: man.Model, Restored: true}
	if o.ModelName != "" && o.ModelName != man.Model {
		return res, optInvalidf("%s is a vecimg export: it carries its store's manifest (model %s), which import restores; leave {model-name} out (it names the model of foreign vectors)", o.File, man.Model)
	}
	empty := true
	if st, err := a.Store(); err == nil {
		n, err := st.Count()
		if err != nil {
			return res, err
		}
		empty = n == 0
	}
	mr, err := a.Merge(ctx, MergeOptions{Inputs: []string{o.File}, NoIndex: true, Progress: o.Progress})
	res.Rows, res.Seconds = int(mr.Written+mr.Present), mr.Seconds
	if err != nil {
		return res, err
	}
	st, err := a.writable(false)
	if err != nil {
		return res, err
	}
	if empty {
		if err := restoreLabels(ctx, st, d, o.File); err != nil {
			return res, fmt.Errorf("restoring the exported cluster labels: %w", err)
		}
	}
	if !o.NoIndex {
		if err := a.syncIndex(ctx, st, a.progress(o.Progress)); err != nil {
			return res, err
		}
	}
	return res, nil
}

// restoreLabels writes the exported cluster labels of d into st and makes
// them the store's clustering in one commit (store.PutClusterRun). The
// export carries labels and distances but not the centres, so the run's
// centres are the means of their members' vectors, its sizes are counted,
// and its inertia is the sum of the exported squared distances. An export
// without labels leaves the store unclustered.
func restoreLabels(ctx context.Context, st *store.Store, d *parquetio.Dataset, file string) error {
	var (
		ups     []store.LabelUpdate
		sums    [][]float64
		sizes   []int
		inertia float64
	)
	flush := func() error {
		err := st.SetLabels(ups)
		ups = ups[:0]
		return err
	}
	err := d.Scan(ctx, func(r *parquetio.Row) error {
		if r.Label < 0 {
			return nil
		}
		l := int(r.Label)
		for len(sums) <= l {
			sums = append(sums, nil)
			sizes = append(sizes, 0)
		}
		if sums[l] == nil {
			sums[l] = make([]float64, len(r.Vector))
		}
		if len(sums[l]) != len(r.Vector) {
			return invalidf("%s: record %q has %d values, others %d", file, r.ID, len(r.Vector), len(sums[l]))
		}
		for i, v := range r.Vector {
			sums[l][i] += float64(v)
		}
		sizes[l]++
		inertia += float64(r.Distance) * float64(r.Distance)
		ups = append(ups, store.LabelUpdate{ID: r.ID, Label: r.Label, Distance: r.Distance})
		if len(ups) == labelBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(ups) > 0 {
		err = flush()
	}
	if err != nil || len(sizes) == 0 {
		return err
	}
	centers := make([][]float32, len(sums))
	for l, sum := range sums {
		if sizes[l] == 0 {
			return invalidf("%s: label %d has no member, though higher labels do", file, l)
		}
		c := make([]float32, len(sum))
		for i, v := range sum {
			c[i] = float32(v / float64(sizes[l]))
		}
		centers[l] = c
	}
	gen, err := st.Generation()
	if err != nil {
		return err
	}
	return st.PutClusterRun(store.ClusterRun{K: len(sizes), Params: map[string]string{"restored_from": file},
		Inertia: inertia, Centers: centers, Sizes: sizes, Generation: gen})
}
