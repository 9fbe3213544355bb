package cli

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/disintegration/imaging"
	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/store"
)

func clusterCommand() *cli.Command {
	return &cli.Command{
		Name:  "cluster",
		Usage: "mini-batch k-means over the stored vectors; labels written back; CSV export; contact sheets",
		Description: "Fits k-means (k-means++ seeding on a sample, mini-batch updates, --n-init restarts,\n" +
			"then Lloyd refinement to a full k-means optimum) with squared Euclidean distance on the\n" +
			"raw vectors, like scikit-learn's KMeans (--normalize for cosine/spherical k-means).\n" +
			"Stores far larger than memory are streamed. Each record gets its label and distance\n" +
			"to its centre; the run (k, inertia, centres) is kept and shown by `vecimg info`.\n" +
			"\n" +
			"Labels are 0..k-1 numbered by cluster size, largest first; ties by the smallest id\n" +
			"in natural order (numeric ids numerically). The same seed and store give the same labels.\n" +
			"\n" +
			"--export writes ImageID,label: with --template, the template's rows in its order\n" +
			"(other columns kept, label filled; template ids missing from the store are an error);\n" +
			"without, all ids in natural order.\n" +
			"--k 2..12 (or 3,5,8) with --report compares k by inertia and silhouette and suggests one.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "k", Value: "5", Usage: "number of clusters, or a list/range (2..12, 3,5,8) with --report"},
			&cli.BoolFlag{Name: "report", Aliases: []string{"sweep"}, Usage: "compare several k (inertia, silhouette on a sample) and suggest one; writes nothing"},
			&cli.Uint64Flag{Name: "seed", Value: cluster.DefaultSeed, Usage: "random seed"},
			&cli.IntFlag{Name: "batch-size", Value: cluster.DefaultBatchSize, Usage: "vectors per mini-batch step"},
			&cli.IntFlag{Name: "max-iter", Value: cluster.DefaultMaxIter, Usage: "mini-batch steps per initialisation"},
			&cli.IntFlag{Name: "n-init", Value: cluster.DefaultNInit, Usage: "initialisations; the best is kept"},
			&cli.IntFlag{Name: "refine", Value: cluster.DefaultRefine, Usage: "Lloyd refinement passes at most (0: none)"},
			&cli.BoolFlag{Name: "normalize", Usage: "cosine (spherical) k-means on unit-length vectors"},
			&cli.StringFlag{Name: "export", Usage: "write the ImageID,label CSV to `FILE`"},
			&cli.StringFlag{Name: "template", Usage: "with --export: a sample submission `CSV` giving the rows and their order"},
			&cli.StringFlag{Name: "sheets", Usage: "write one PNG contact sheet per cluster and an index.html into `DIR`"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usagef("cluster takes no arguments (got %q); use --k", c.Args().First())
			}
			ks, err := cluster.ParseKs(c.String("k"))
			if err != nil {
				return usagef("--k: %v", err)
			}
			opts := cluster.Options{Seed: c.Uint64("seed"), BatchSize: c.Int("batch-size"), MaxIter: c.Int("max-iter"),
				NInit: c.Int("n-init"), Refine: c.Int("refine"), Normalize: c.Bool("normalize")}
			if opts.Refine == 0 {
				opts.Refine = -1
			}
			if c.Bool("report") || len(ks) > 1 {
				if c.String("export") != "" || c.String("sheets") != "" {
					return usagef("--report compares several k and writes nothing; run again with one --k to export")
				}
				return runSweep(c, ks, opts)
			}
			opts.K = ks[0]
			return runCluster(c, opts)
		},
	}
}

// storeSource streams the store's vectors to the cluster package.
type storeSource struct {
	st  *store.Store
	n   int
	dim int
}

// openSource opens the --db store and its vectors as a cluster.Source.
func openSource(c *cli.Context, readOnly bool) (*store.Store, *storeSource, error) {
	st, err := openStore(c, readOnly)
	if err != nil {
		return nil, nil, err
	}
	src, err := newStoreSource(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, src, nil
}

func newStoreSource(st *store.Store) (*storeSource, error) {
	man, ok, err := st.Manifest()
	if err != nil {
		return nil, err
	}
	n, err := st.Count()
	if err != nil {
		return nil, err
	}
	if !ok || n == 0 {
		return nil, fmt.Errorf("store %s holds no vectors: run `vecimg ingest DIR` first", st.Path())
	}
	return &storeSource{st: st, n: n, dim: man.Dim}, nil
}

func (s *storeSource) Len() int { return s.n }
func (s *storeSource) Dim() int { return s.dim }
func (s *storeSource) Scan(ctx context.Context, fn func(i int, id string, v []float32) error) error {
	i := 0
	err := s.st.ScanVectors(ctx, func(id string, v []float32) error {
		if i >= s.n {
			return fmt.Errorf("store changed during clustering (more than %d records); run again", s.n)
		}
		err := fn(i, id, v)
		i++
		return err
	})
	if err == nil && i != s.n {
		return fmt.Errorf("store changed during clustering (%d records, expected %d); run again", i, s.n)
	}
	return err
}

type clusterOutput struct {
	K          int     `json:"k"`
	N          int     `json:"n"`
	Inertia    float64 `json:"inertia"`
	Sizes      []int   `json:"sizes"`
	Iterations int     `json:"iterations"`
	Refine     int     `json:"refine_passes"`
	Converged  bool    `json:"converged"`
	Seconds    float64 `json:"seconds"`
	Export     string  `json:"export,omitempty"`
	Sheets     string  `json:"sheets,omitempty"`
}

func runCluster(c *cli.Context, opts cluster.Options) error {
	st, src, err := openSource(c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if opts.K > src.n {
		return usagef("--k %d is more than the %d stored images", opts.K, src.n)
	}
	gen, err := st.Generation()
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := cluster.Fit(c.Context, src, opts)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	updates := make([]store.LabelUpdate, len(res.IDs))
	for i, id := range res.IDs {
		updates[i] = store.LabelUpdate{ID: id, Label: res.Labels[i], Distance: float32(math.Sqrt(float64(max(res.Distances[i], 0))))}
	}
	if err := st.SetLabels(updates); err != nil {
		return fmt.Errorf("writing labels: %w", err)
	}
	o := res.Options
	params := map[string]string{
		"batch_size": strconv.Itoa(o.BatchSize), "max_iter": strconv.Itoa(o.MaxIter), "n_init": strconv.Itoa(o.NInit),
		"refine": strconv.Itoa(o.Refine), "normalize": strconv.FormatBool(o.Normalize), "metric": "squared euclidean",
	}
	if o.Normalize {
		params["metric"] = "cosine (unit vectors)"
	}
	if err := st.PutClusterRun(store.ClusterRun{K: res.K, Seed: int64(o.Seed), Params: params, Inertia: res.Inertia,
		Centers: res.Centers, Sizes: res.Sizes, Generation: gen}); err != nil {
		return fmt.Errorf("saving the clustering: %w", err)
	}
	out := clusterOutput{K: res.K, N: len(res.IDs), Inertia: res.Inertia, Sizes: res.Sizes, Iterations: res.Iterations,
		Refine: res.RefinePasses, Converged: res.Converged, Seconds: secs}
	if path := c.String("export"); path != "" {
		if err := exportSubmission(path, c.String("template"), res); err != nil {
			return err
		}
		out.Export = path
	}
	if dir := c.String("sheets"); dir != "" {
		sh, err := cluster.WriteSheets(c.Context, dir, cluster.SheetClusters(res, 36), storeImageLoader(st), cluster.SheetOptions{})
		if err != nil {
			return fmt.Errorf("writing contact sheets: %w", err)
		}
		out.Sheets = sh.Index
		if len(sh.Unreadable) > 0 && !c.Bool("json") {
			fmt.Fprintf(c.App.ErrWriter, "warning: %d images could not be read for the sheets (grey tiles), e.g. %s\n", len(sh.Unreadable), sh.Unreadable[0])
		}
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, out)
	}
	fmt.Fprintf(c.App.Writer, "k=%d over %d images: inertia %.6g, %d mini-batch steps, %d refine passes, %.2fs\n", out.K, out.N, out.Inertia, out.Iterations, out.Refine, out.Seconds)
	t := newTable(c.App.Writer, "LABEL", "IMAGES")
	for l, n := range res.Sizes {
		t.row(l, n)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, "labels written to the store")
	if out.Export != "" {
		fmt.Fprintf(c.App.Writer, "wrote %s\n", out.Export)
	}
	if out.Sheets != "" {
		fmt.Fprintf(c.App.Writer, "contact sheets: %s\n", out.Sheets)
	}
	return nil
}

func exportSubmission(path, template string, res *cluster.Result) error {
	var tpl io.Reader
	if template != "" {
		f, err := os.Open(template)
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		defer f.Close()
		tpl = f
	}
	return writeFileAtomic(path, func(w io.Writer) error {
		return cluster.WriteSubmission(w, res.IDs, res.Labels, tpl)
	})
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

func runSweep(c *cli.Context, ks []int, opts cluster.Options) error {
	st, src, err := openSource(c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := cluster.Sweep(c.Context, src, ks, opts)
	if err != nil {
		return err
	}
	best := cluster.Suggest(rows)
	if c.Bool("json") {
		return printJSON(c.App.Writer, struct {
			Rows      []cluster.SweepRow `json:"rows"`
			Suggested int                `json:"suggested_k"`
		}{rows, best})
	}
	t := newTable(c.App.Writer, "K", "INERTIA", "SILHOUETTE", "SIZES")
	for _, r := range rows {
		sil := "n/a"
		if !math.IsNaN(r.Silhouette) {
			sil = fmt.Sprintf("%.4f", r.Silhouette)
		}
		mark := ""
		if r.K == best {
			mark = "  ← suggested"
		}
		t.row(r.K, fmt.Sprintf("%.6g", r.Inertia), sil, fmt.Sprint(r.Sizes)+mark)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "suggested k: %d (highest silhouette on a sample; ties → smaller k)\n", best)
	return nil
}
