package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "bring your own vectors: ids and vectors from a NumPy .npz or Parquet into the store",
		ArgsUsage: "FILE.npz|FILE.parquet|DIR",
		Description: "FILE.npz holds ids (strings, N) and vectors (float32, N×D, C order), as\n" +
			"np.savez(path, ids=np.array(ids, dtype=str), vectors=vectors.astype(np.float32)) or\n" +
			"np.savez_compressed write it (`vecimg export` too). The file is read twice, streaming:\n" +
			"every row is checked first (unique, valid ids; finite, non-zero vectors of one\n" +
			"dimension; the archive whole; no pickled objects) and nothing is written unless all\n" +
			"pass. The store's manifest names the model as --model-name gives it, with preset\n" +
			"none. An imported store is searched (by stored id), clustered and exported like any\n" +
			"other; it has no model, so `similar NEW.jpg` is refused.\n" +
			parquetImportHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model-name", Usage: "`NAME` of the model that made the vectors (recorded in the store; required except for a vecimg Parquet export, which carries its store's model)"},
			&cli.BoolFlag{Name: "no-index", Usage: "do not build the index now (the first query builds it)"},
			recallTargetFlag(),
			&cli.StringFlag{Name: "id-column", Value: "id", Usage: "Parquet: the `COLUMN` of ids (strings or integers)"},
			&cli.StringFlag{Name: "vector-column", Value: "vector", Usage: "Parquet: the `COLUMN` of vectors (lists of float32 or float64)"},
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return argCountError("import", "file (FILE.npz)", c.Args().Slice())
			}
			// --model-name is checked by the app: a vecimg Parquet export
			// carries its store's own. The columns count only when given.
			opts := app.ImportOptions{File: c.Args().First(), ModelName: c.String("model-name"), NoIndex: c.Bool("no-index"), Progress: progressFor(c)}
			if c.IsSet("id-column") {
				opts.Columns.ID = c.String("id-column")
			}
			if c.IsSet("vector-column") {
				opts.Columns.Vector = c.String("vector-column")
			}
			return withApp(c, false, func(a *app.App) error {
				res, err := a.Import(c.Context, opts)
				if err != nil {
					return err
				}
				return emit(c, res, printImport)
			})
		},
	}
}

func printImport(w io.Writer, res app.ImportResult) error {
	verb := "imported"
	if res.Restored {
		verb = "restored" // a vecimg export, with its manifest, paths and hashes
	}
	fmt.Fprintf(w, "%s %s of dimension %d from %s (model %q)", verb, count(res.Rows, "vector"), res.Dim, res.File, res.Model)
	if res.Replaced > 0 {
		fmt.Fprintf(w, ", %d replacing stored ids", res.Replaced)
	}
	_, err := fmt.Fprintf(w, "; %.1fs\n", res.Seconds)
	return err
}
