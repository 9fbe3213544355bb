package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/disintegration/imaging"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/internal/sheet"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// ClusterOptions runs k-means over the stored vectors and writes the labels
// back. Params are the k-means settings (Params.K is k).
type ClusterOptions struct {
	Params   types.ClusterParams
	Export   string   // write the ImageID,label CSV here ("" = none)
	Template string   // with Export: a sample submission CSV giving rows and order
	Sheets   string   // write contact sheets and index.html into this folder ("" = none)
	Progress Progress // the k-means stages and the label write-back
}

// ClusterResult is types.ClusterResult.
type ClusterResult = types.ClusterResult

// Cluster fits k-means and writes, in this order: the labels into the
// store and the run (k, centres, inertia), which switches the store to the
// new labels in one commit; the CSV; the contact sheets. Before any of it, it checks k against the store, the template
// (readable, well-formed, every id stored) and the output paths; a refused
// clustering changes nothing.
func (a *App) Cluster(ctx context.Context, o ClusterOptions) (ClusterResult, error) {
	var res ClusterResult
	k := o.Params.K
	if k < 1 {
		return res, paramErr("k", k, "must be at least 1")
	}
	if o.Template != "" && o.Export == "" {
		return res, optInvalidf("{template} needs {export} FILE (the CSV the template's rows go to)")
	}
	if o.Export != "" {
		if err := checkOutputFile(o.Export, opt("export")); err != nil {
			return res, err
		}
	}
	if o.Sheets != "" {
		if err := checkOutputDir(o.Sheets, opt("sheets")); err != nil {
			return res, err
		}
	}
	if a.cfg.ReadOnly {
		return res, fmt.Errorf("%w: cluster writes labels and needs the store open for writing", store.ErrReadOnly)
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	st, err := a.Store()
	if err != nil {
		return res, err
	}
	src, err := newStoreSource(st)
	if err != nil {
		return res, err
	}
	if k > src.n {
		return res, paramErr("k", k, "is more than the %d stored %s", src.n, plural(src.n, "image", "images"))
	}
	var tpl []byte
	if o.Template != "" {
		if tpl, err = readTemplate(st, o.Template); err != nil {
			return res, err
		}
	}
	// Everything checked: now open for writing (LateWrite reopens here).
	if st, err = a.writable(false); err != nil {
		return res, err
	}
	src.st = st
	src.release = true // a.writeMu is held: nothing in this process rewrites the value log
	gen, err := st.Generation()
	if err != nil {
		return res, err
	}
	start := time.Now()
	p := a.progress(o.Progress)
	params := clusterOptions(o.Params)
	prog, end := libraryProgress(p, clusterStages(params.Refine))
	params.Progress = prog
	fit, err := cluster.Fit(ctx, src, params)
	end()
	if err != nil {
		return res, err
	}
	res = ClusterResult{K: fit.K, N: len(fit.IDs), Inertia: fit.Inertia, Sizes: fit.Sizes, Iterations: fit.Iterations,
		Refine: fit.RefinePasses, Converged: fit.Converged, FitSeconds: time.Since(start).Seconds()}
	if err := writeLabels(ctx, st, fit, gen, p); err != nil {
		return res, err
	}
	if o.Export != "" {
		err := fsutil.WriteFileAtomic(o.Export, func(w io.Writer) error {
			var t io.Reader
			if tpl != nil {
				t = bytes.NewReader(tpl)
			}
			return cluster.WriteSubmission(w, fit.IDs, fit.Labels, t)
		})
		if err != nil {
			return res, err
		}
		res.Export = o.Export
	}
	if o.Sheets != "" {
		sh, err := sheet.WriteClusters(ctx, o.Sheets, cluster.SheetClusters(fit, 36), storeImageLoader(st), sheet.Options{})
		if err != nil {
			return res, fmt.Errorf("writing contact sheets: %w", err)
		}
		res.Sheets = sh.Index
		if len(sh.Unreadable) > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%d images could not be read for the sheets (grey tiles), e.g. %s", len(sh.Unreadable), sh.Unreadable[0]))
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// readTemplate reads a submission template and checks it against the
// store's ids, so that a bad template stops the clustering before it writes.
func readTemplate(st *store.Store, path string) ([]byte, error) {
	if err := checkInputFile(path, opt("template")); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, optInvalidf("{template} %s: %v", path, err)
	}
	ids, err := st.IDs()
	if err != nil {
		return nil, err
	}
	if err := cluster.WriteSubmission(io.Discard, ids, make([]int32, len(ids)), bytes.NewReader(b)); err != nil {
		return nil, optErr(ErrInvalid, err, "{template} %s: %v", path, err)
	}
	return b, nil
}

// labelBatch is how many labels writeLabels hands to one SetLabels call.
const labelBatch = 16384

// writeLabels stores every record's label and distance, labelBatch records
// at a time, under the next clustering run, then the run, which makes them
// the store's labels in one commit: until then readers see the previous
// clustering, and an interruption leaves it whole. The ids come from the
// scan that was clustered, under a.writeMu, so every batch finds its
// records.
func writeLabels(ctx context.Context, st *store.Store, fit *cluster.Result, gen uint64, p Progress) error {
	p.Start("writing labels", "vec", int64(len(fit.IDs)))
	defer p.Done()
	updates := make([]store.LabelUpdate, 0, min(labelBatch, len(fit.IDs)))
	for lo := 0; lo < len(fit.IDs); lo += labelBatch {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("writing labels: %w (stopped at record %d; the previous clustering is unchanged)", err, lo)
		}
		updates = updates[:0]
		for i := lo; i < min(lo+labelBatch, len(fit.IDs)); i++ {
			updates = append(updates, store.LabelUpdate{ID: fit.IDs[i], Label: fit.Labels[i], Distance: float32(math.Sqrt(float64(max(fit.Distances[i], 0))))})
		}
		if err := st.SetLabels(updates); err != nil {
			return fmt.Errorf("writing labels: %w", err)
		}
		p.Add(int64(len(updates)))
	}
	o := fit.Options
	params := map[string]string{
		"batch_size": strconv.Itoa(o.BatchSize), "max_iter": strconv.Itoa(o.MaxIter), "n_init": strconv.Itoa(o.NInit),
		"refine": strconv.Itoa(o.Refine), "normalize": strconv.FormatBool(o.Normalize), "metric": "squared euclidean",
	}
	if o.Normalize {
		params["metric"] = "cosine (unit vectors)"
	}
	if err := st.PutClusterRun(store.ClusterRun{K: fit.K, Seed: int64(o.Seed), Params: params, Inertia: fit.Inertia,
		Centers: fit.Centers, Sizes: fit.Sizes, Generation: gen}); err != nil {
		return fmt.Errorf("saving the clustering: %w", err)
	}
	return nil
}

func storeImageLoader(st *store.Store) func(id string) (image.Image, error) {
	return func(id string) (image.Image, error) {
		r, err := st.Get(id)
		if err != nil {
			return nil, err
		}
		return imaging.Open(r.Path, imaging.AutoOrientation(true))
	}
}

// clusterOptions is p as the cluster package's options.
func clusterOptions(p types.ClusterParams) cluster.Options {
	return cluster.Options{K: p.K, Seed: p.Seed, BatchSize: p.BatchSize, MaxIter: p.MaxIter, NInit: p.NInit,
		Refine: p.Refine, Normalize: p.Normalize}
}

// ParseKs reads the cluster counts of `cluster --k`: "5", "3,5,8", "2..12"
// or "2..4,10" (cluster.ParseKs), sorted ascending without duplicates.
func ParseKs(s string) ([]int, error) { return cluster.ParseKs(s) }

// ReportOptions compares several k (cluster --report); it writes nothing.
type ReportOptions struct {
	Ks       []int
	Params   types.ClusterParams // K is ignored
	Progress Progress            // the k-means stages of every k
}

// ReportResult is types.ReportResult.
type ReportResult = types.ReportResult

// ClusterReport fits every k of o.Ks and scores it by inertia and silhouette.
func (a *App) ClusterReport(ctx context.Context, o ReportOptions) (ReportResult, error) {
	if len(o.Ks) == 0 {
		return ReportResult{}, optInvalidf("{report} needs at least one k")
	}
	st, err := a.Store()
	if err != nil {
		return ReportResult{}, err
	}
	src, err := newStoreSource(st)
	if err != nil {
		return ReportResult{}, err
	}
	for _, k := range o.Ks {
		if k < 2 || k > src.n {
			return ReportResult{}, paramErr("k", k, "is not in 2..%d: each k of a report must be at least 2 and at most the stored images", src.n)
		}
	}
	p := a.progress(o.Progress)
	params := clusterOptions(o.Params)
	prog, end := libraryProgress(p, clusterStages(params.Refine))
	params.Progress = prog
	rows, err := cluster.Sweep(ctx, src, o.Ks, params)
	end()
	if err != nil {
		return ReportResult{}, err
	}
	return ReportResult{Rows: sweepRows(rows), Suggested: cluster.Suggest(rows)}, nil
}

// sweepRows is rows in the front ends' types (a NaN silhouette is nil).
func sweepRows(rows []cluster.SweepRow) []types.SweepRow {
	out := make([]types.SweepRow, len(rows))
	for i, r := range rows {
		out[i] = types.SweepRow{K: r.K, Inertia: r.Inertia, Sizes: r.Sizes, Iterations: r.Iterations, Converged: r.Converged}
		if !math.IsNaN(r.Silhouette) {
			out[i].Silhouette = &r.Silhouette
		}
	}
	return out
}

// storeSource streams the store's vectors to the cluster package.
type storeSource struct {
	st  *store.Store
	n   int
	dim int
	// release: every releaseBytes of vectors scanned, drop the scanned
	// value-log pages from this process's RSS (package mapped). Only safe
	// while no write can remap the value log, so only under a.writeMu.
	release bool
}

func newStoreSource(st *store.Store) (*storeSource, error) {
	man, n, err := storeNonEmpty(st)
	if err != nil {
		return nil, err
	}
	return &storeSource{st: st, n: n, dim: man.Dim}, nil
}

func (s *storeSource) Len() int { return s.n }
func (s *storeSource) Dim() int { return s.dim }
func (s *storeSource) Scan(ctx context.Context, fn func(i int, id string, v []float32) error) error {
	i := 0
	r := newPageReleaser(s.st, s.dim)
	err := s.st.ScanVectors(ctx, func(id string, v []float32) error {
		if i >= s.n {
			return fmt.Errorf("store changed during clustering (more than %d records); run again", s.n)
		}
		err := fn(i, id, v)
		i++
		if err == nil && s.release {
			err = r.tick()
		}
		return err
	})
	if err == nil && s.release {
		err = r.release()
	}
	if err == nil && i != s.n {
		return fmt.Errorf("store changed during clustering (%d records, expected %d); run again", i, s.n)
	}
	return err
}

// clusterStages shows the cluster package's stages on a Progress: each
// stage (and each Lloyd pass over all vectors) is one Start…Done. refine is
// Options.Refine as given (0 = cluster.DefaultRefine), used to say how many
// passes there may be. The first pass over all vectors assigns them to the
// mini-batch centres; each later one follows a centre update and is
// "refine pass N (at most refine)". The count starts again with every k of
// a sweep.
func clusterStages(refine int) stageLabel {
	if refine == 0 {
		refine = cluster.DefaultRefine
	}
	pass := 0
	return func(s string, total int64) (string, string, int64) {
		if s != cluster.StageRefine {
			pass = 0 // a new k (a report over several k) begins with other stages
		}
		label, unit := "k-means: "+s, "vec"
		switch s {
		case cluster.StageSample:
			label = "k-means: reading a sample"
		case cluster.StageSeeding:
			label, unit = "k-means: seeding on the sample", "init"
		case cluster.StageRepair:
			label, unit = "k-means: swap repair on the sample", "try"
		case cluster.StageMiniBatch:
			unit = "step"
		case cluster.StageRefine:
			if pass == 0 {
				label = "k-means: assigning to the centres"
			} else {
				label = fmt.Sprintf("k-means: refine pass %d (at most %d)", pass, refine)
			}
			pass++
		case cluster.StageLoad:
			label = "k-means: loading vectors"
		}
		return label, unit, total
	}
}
