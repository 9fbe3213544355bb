package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
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
			"without, all ids in natural order. The template and output paths are checked before\n" +
			"anything is written.\n" +
			"--k 2..12 (or 3,5,8) with --report compares k by inertia and silhouette and suggests one.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "k", Value: "5", Usage: "number of clusters, or a list/range (2..12, 3,5,8) with --report"},
			&cli.BoolFlag{Name: "report", Aliases: []string{"sweep"}, Usage: "compare several k (inertia, silhouette on a sample) and suggest one; writes nothing"},
			&cli.Uint64Flag{Name: "seed", Value: types.DefaultSeed, Usage: "random seed"},
			&cli.IntFlag{Name: "batch-size", Value: types.DefaultBatchSize, Usage: "vectors per mini-batch step"},
			&cli.IntFlag{Name: "max-iter", Value: types.DefaultMaxIter, Usage: "mini-batch steps per initialisation"},
			&cli.IntFlag{Name: "n-init", Value: types.DefaultNInit, Usage: "initialisations; the best is kept"},
			&cli.IntFlag{Name: "refine", Value: types.DefaultRefine, Usage: "Lloyd refinement passes at most (0: none)"},
			&cli.BoolFlag{Name: "normalize", Usage: "cosine (spherical) k-means on unit-length vectors"},
			&cli.StringFlag{Name: "export", Usage: "write the ImageID,label CSV to `FILE`"},
			&cli.StringFlag{Name: "template", Usage: "with --export: a sample submission `CSV` giving the rows and their order"},
			&cli.StringFlag{Name: "sheets", Usage: "write one PNG contact sheet per cluster and an index.html into `DIR`"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usagef("cluster takes no arguments (got %q); use --k", c.Args().First())
			}
			ks, err := app.ParseKs(c.String("k"))
			if err != nil {
				return usagef("--k: %v", err)
			}
			params := types.ClusterParams{Seed: c.Uint64("seed"), BatchSize: c.Int("batch-size"), MaxIter: c.Int("max-iter"),
				NInit: c.Int("n-init"), Refine: c.Int("refine"), Normalize: c.Bool("normalize")}
			if params.Refine == 0 {
				params.Refine = -1
			}
			if c.Bool("report") || len(ks) > 1 {
				if c.String("export") != "" || c.String("sheets") != "" || c.String("template") != "" {
					return usagef("--report compares several k and writes nothing; run again with one --k to export")
				}
				return withApp(c, true, func(a *app.App) error {
					res, err := a.ClusterReport(c.Context, app.ReportOptions{Ks: ks, Params: params, Progress: progressFor(c)})
					if err != nil {
						return err
					}
					return emit(c, res, printReport)
				})
			}
			params.K = ks[0]
			opts := app.ClusterOptions{Params: params, Export: c.String("export"), Template: c.String("template"), Sheets: c.String("sheets"),
				Progress: progressFor(c)}
			return withApp(c, false, func(a *app.App) error {
				res, err := a.Cluster(c.Context, opts)
				if err != nil {
					return err
				}
				if !c.Bool("json") {
					for _, w := range res.Warnings {
						fmt.Fprintln(c.App.ErrWriter, "warning:", w)
					}
				}
				return emit(c, res, printCluster)
			})
		},
	}
}

func printCluster(w io.Writer, res app.ClusterResult) error {
	fmt.Fprintf(w, "k=%d over %s: inertia %.6g, %s, %s, %.2fs\n", res.K, count(res.N, "image"), res.Inertia,
		count(res.Iterations, "mini-batch step"), count(res.Refine, "refine pass/refine passes"), res.Seconds)
	t := newTable(w, "LABEL", "IMAGES")
	for l, n := range res.Sizes {
		t.row(l, n)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "labels written to the store")
	if res.Export != "" {
		fmt.Fprintf(w, "wrote %s\n", res.Export)
	}
	if res.Sheets != "" {
		fmt.Fprintf(w, "contact sheets: %s\n", res.Sheets)
	}
	return nil
}

func printReport(w io.Writer, res app.ReportResult) error {
	t := newTable(w, "K", "INERTIA", "SILHOUETTE", "SIZES")
	for _, r := range res.Rows {
		sil := "n/a"
		if r.Silhouette != nil {
			sil = fmt.Sprintf("%.4f", *r.Silhouette)
		}
		mark := ""
		if r.K == res.Suggested {
			mark = "  ← suggested"
		}
		t.row(r.K, fmt.Sprintf("%.6g", r.Inertia), sil, fmt.Sprint(r.Sizes)+mark)
	}
	if err := t.flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "suggested k: %d (highest silhouette on a sample; ties → smaller k)\n", res.Suggested)
	return err
}
