package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write the stored vectors as a NumPy .npz (ids, vectors, and labels when clustered) or as Parquet",
		Description: "The archive holds ids (fixed-width unicode, N), vectors (float32, N×D) and, after\n" +
			"`vecimg cluster`, labels (int32, N; -1 = unlabelled); row i of each belongs to ids[i] (ids sorted).\n" +
			"Load it with numpy.load(path) — no pickle needed. `vecimg import` reads it back.\n" +
			parquetExportHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "vectors.npz", Usage: "output `FILE` (npz), or folder (parquet; default vectors.parquet)"},
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		}, exportParquetFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("export takes no arguments (got %q); use --out FILE", c.Args().First())
			}
			if f, err := exportFormat(c); err != nil || f == "parquet" {
				if err != nil {
					return err
				}
				return exportParquet(c)
			}
			for _, f := range []string{"rows-per-file", "vector-type"} {
				if c.IsSet(f) {
					return usagef("--%s shapes Parquet output, but this export writes npz: add --format parquet (or an --out ending in .parquet), or leave --%s out", f, f)
				}
			}
			if fi, err := os.Stat(c.String("out")); err == nil && fi.IsDir() {
				return usagef("--out %s is a folder: to write Parquet into it, add --format parquet; for npz pass a file name", c.String("out"))
			}
			out, _ := filepath.Abs(c.String("out")) // the same file if another process writes it
			opts := app.ExportOptions{Out: out}
			res, err := readVia(c, app.ReadExport, opts, func(a *app.App) (app.ExportResult, error) { return a.Export(c.Context, opts) })
			if err != nil {
				return err
			}
			res.Path = c.String("out")
			return emit(c, res, printExport)
		},
	}
}

func printExport(w io.Writer, res app.ExportResult) error {
	what := "ids, vectors"
	if res.Labels {
		what += ", labels"
	}
	_, err := fmt.Fprintf(w, "wrote %s: %d × %d (%s)\n", res.Path, res.Records, res.Dim, what)
	return err
}
