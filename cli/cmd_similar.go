package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func similarCommand() *cli.Command {
	return &cli.Command{
		Name:      "similar",
		Usage:     "list the stored images most similar to QUERY (cosine distance, 1 − cos)",
		ArgsUsage: "QUERY",
		Description: "QUERY is, in this order: a stored id (123), a file name of a stored image (123.jpg),\n" +
			"the path of a stored image — all answered from stored vectors, no model run — or else\n" +
			"any readable image file, embedded with the store's own model and preset (found in the\n" +
			"cache, at the path the store recorded, or given with --weights/--model).\n" +
			"The query's own id is left out. Search uses the HNSW index kept beside the store\n" +
			"(PATH.hnsw, updated when the store changed), exact search with --exact.\n" +
			"--check measures recall@k of the index against exact search on stored images.",
		Flags: append(append([]cli.Flag{
			&cli.IntFlag{Name: "k", Value: 10, Usage: "number of neighbours"},
			&cli.BoolFlag{Name: "exact", Usage: "exact search: the answer a scan of every vector gives (with an index file, every code is compared and only vectors that can be in the top k are read)"},
			&cli.IntFlag{Name: "ef", Usage: "HNSW search breadth (default: the one the index tuned for itself, see `vecimg info`; higher = more accurate, slower)"},
			jsonFlag(),
			&cli.BoolFlag{Name: "check", Usage: "report recall@k of the index against exact search instead of answering a query"},
			&cli.IntFlag{Name: "queries", Value: 200, Usage: "with --check: number of stored images used as queries"},
			&cli.StringFlag{Name: "precision", Usage: "for a new image file: the precision of the store's model (fp32, int8, …; it is run as recorded); refused when the store's differs"},
			recallTargetFlag(),
		}, queryModelFlags()...), runtimeFlags()...),
		Action: func(c *cli.Context) error {
			if c.Bool("check") {
				if c.NArg() > 0 {
					return usagef("similar --check takes no QUERY (got %q): it uses stored images as queries", c.Args().Slice())
				}
				opts := app.RecallOptions{Queries: c.Int("queries"), K: c.Int("k"), Ef: c.Int("ef"), Progress: progressFor(c)}
				return withApp(c, true, func(a *app.App) error {
					res, err := a.Recall(c.Context, opts)
					if err != nil {
						return err
					}
					return emit(c, res, printRecall)
				})
			}
			if c.NArg() != 1 {
				return argCountError("similar", "QUERY (an id, a file name or an image path)", c.Args().Slice())
			}
			opts := app.SimilarOptions{Query: c.Args().First(), K: c.Int("k"), Ef: c.Int("ef"), Exact: c.Bool("exact"),
				Model: modelOptions(c), Progress: progressFor(c)}
			remote := opts
			remote.Query, remote.Progress = absIfExists(opts.Query), nil
			res, err := readVia(c, app.ReadSimilar, remote, func(a *app.App) (app.SimilarResult, error) {
				return a.Similar(c.Context, opts)
			})
			if err != nil {
				return err
			}
			if res.QueryFile != "" {
				res.QueryFile = opts.Query // as the user named it
			}
			res.Query = opts.Query
			return emit(c, res, printSimilar)
		},
	}
}

func printSimilar(w io.Writer, res app.SimilarResult) error {
	switch res.QueryKind {
	case "id":
		fmt.Fprintf(w, "query: stored id %s\n", res.QueryID)
	case "file":
		fmt.Fprintf(w, "query: file %s, embedded (not stored)\n", res.QueryFile)
	}
	t := newTable(w, "RANK", "ID", "DISTANCE", "PATH")
	for i, r := range res.Results {
		t.row(i+1, r.ID, fmt.Sprintf("%.4f", r.Distance), r.Path)
	}
	return t.flush()
}

func printRecall(w io.Writer, r app.RecallResult) error {
	_, err := fmt.Fprintf(w, "recall@%d of the HNSW index against exact search: %.4f (%d stored images as queries, ef=%d, %d vectors)\n",
		r.K, r.Recall, r.Queries, r.Ef, r.Vectors)
	if err == nil {
		_, err = fmt.Fprintf(w, "vectors read per query: mean %.1f, p99 %d (exact search: mean %.1f, p99 %d)\n",
			r.ReadMean, r.ReadP99, r.ExactReadMean, r.ExactReadP99)
	}
	if err == nil && r.Capped > 0 {
		_, err = fmt.Fprintf(w, "%d searches stopped at the re-ranking cap before the bound said stop\n", r.Capped)
	}
	if err == nil && r.Tuning != nil {
		_, err = fmt.Fprintf(w, "index tuned: %s\n", r.Tuning)
	}
	return err
}
