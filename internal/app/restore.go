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
		return res, invalidf("%s is a vecimg export: it carries its store's manifest (model %s), which import restores; leave --model-name out (it names the model of foreign vectors)", o.File, man.Model)
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
		var ups []store.LabelUpdate
		flush := func() error {
			err := st.SetLabels(ups)
			ups = ups[:0]
			return err
		}
		err := d.Scan(ctx, func(r *parquetio.Row) error {
			if r.Label == store.NoLabel {
				return nil
			}
			ups = append(ups, store.LabelUpdate{ID: r.ID, Label: r.Label, Distance: r.Distance})
			if len(ups) == labelBatch {
				return flush()
			}
			return nil
		})
		if err == nil && len(ups) > 0 {
			err = flush()
		}
		if err != nil {
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
