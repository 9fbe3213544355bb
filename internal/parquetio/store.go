package parquetio

import (
	"context"
	"encoding/json"
	"math"

	"github.com/vecimg/vecimg/internal/progress"
	"github.com/vecimg/vecimg/store"
)

// MetaCluster holds the store's last cluster run without its centres (k,
// seed, inertia, sizes, generation, time) as JSON, when there is one.
const MetaCluster = "vecimg.cluster"

// ExportStore writes every record of st, in id order and from one
// consistent snapshot, as a dataset in dir (see Create; o.Metadata gains the
// store manifest and cluster summary). prog, when set, follows the export as
// one stage, StageExport: rows written so far, of an unknown total (-1);
// first when the export begins, then after every batch.
func ExportStore(ctx context.Context, st *store.Store, dir string, o WriterOptions, prog progress.Func) (Success, error) {
	return ExportStoreIDs(ctx, st, dir, o, nil, prog)
}

// StageExport is the stage ExportStore and ExportStoreIDs report.
const StageExport = "export"

// ExportStoreIDs is ExportStore limited to the records whose id keep
// accepts (all of them when keep is nil): one shard's share of a store.
func ExportStoreIDs(ctx context.Context, st *store.Store, dir string, o WriterOptions, keep func(id string) bool, prog progress.Func) (Success, error) {
	prog.Report(StageExport, 0, -1)
	m, ok, err := st.Manifest()
	if err != nil {
		return Success{}, err
	}
	dim := 0
	kv := map[string]string{}
	for k, v := range o.Metadata {
		kv[k] = v
	}
	if ok {
		dim = m.Dim
		b, err := json.Marshal(m)
		if err != nil {
			return Success{}, err
		}
		kv[MetaManifest] = string(b)
	}
	if run, ok, err := st.ClusterRun(); err != nil {
		return Success{}, err
	} else if ok {
		run.Centers = nil
		if b, err := json.Marshal(run); err == nil {
			kv[MetaCluster] = string(b)
		}
	}
	if dim == 0 {
		dim = 1 // an empty store: a file with the schema and no rows
	}
	o.Metadata = kv
	w, err := Create(dir, dim, o)
	if err != nil {
		return Success{}, err
	}
	// The store is scanned in one goroutine and the files are encoded in
	// this one, so that reading and encoding overlap; batches of rows (with
	// their own copies of the vectors) circulate between the two.
	const batch, nbuf = 64, 3
	free := make(chan []Row, nbuf)
	for range nbuf {
		rb := make([]Row, 0, batch)
		for range batch {
			rb = append(rb, Row{})
		}
		free <- rb[:0]
	}
	full := make(chan []Row, nbuf)
	scanErr := make(chan error, 1)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(full)
		rows := <-free
		err := st.Scan(sctx, func(r *store.Record) error {
			if keep != nil && !keep(r.ID) {
				return nil
			}
			i := len(rows)
			rows = rows[:i+1]
			row := &rows[i]
			label := r.Meta.Label
			if label < 0 {
				label = -1
			}
			*row = Row{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: clamp32(r.Width), Height: clamp32(r.Height),
				Label: label, Distance: r.Meta.Distance, Vector: append(row.Vector[:0], r.Vector...)}
			if len(rows) == batch {
				select {
				case full <- rows:
				case <-sctx.Done():
					return sctx.Err()
				}
				select {
				case rows = <-free:
				case <-sctx.Done():
					return sctx.Err()
				}
			}
			return nil
		})
		if err == nil && len(rows) > 0 {
			full <- rows
		}
		scanErr <- err
	}()
	var werr error
	for rows := range full {
		if werr == nil {
			if werr = w.Write(rows); werr == nil {
				prog.Report(StageExport, w.Rows(), -1)
			}
			if werr != nil {
				cancel()
			}
		}
		free <- rows[:0]
	}
	err = <-scanErr
	if werr != nil {
		err = werr
	}
	if err != nil {
		w.Abort()
		return Success{}, err
	}
	return w.Close()
}

func clamp32(n int) int32 {
	return int32(min(max(n, 0), math.MaxInt32))
}
