package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

func outliersCommand() *cli.Command {
	return &cli.Command{
		Name:  "outliers",
		Usage: "list the images least like any other (highest distance to their k-th nearest image)",
		Description: "The score of an image is the cosine distance (1 − cos) to its k-th nearest other stored\n" +
			"image, found through the HNSW index: an image far even from its 5th-closest neighbour has\n" +
			"no company in the set (a blank frame, a screenshot among photos, a corrupt-looking scan).\n" +
			"Byte-identical copies count as neighbours. --sheets writes outliers.png (all of them), one\n" +
			"sheet per outlier with its k nearest images, and an index.html. Delete with `vecimg rm ID...`.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "n", Value: types.DefaultOutlierN, Usage: "how many to list"},
			&cli.IntFlag{Name: "k", Value: types.DefaultOutlierK, Usage: "score = distance to the k-th nearest other image"},
			&cli.StringFlag{Name: "sheets", Usage: "also write contact sheets into `DIR`"},
			recallTargetFlag(),
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("outliers takes no arguments (got %q)", c.Args().Slice())
			}
			if c.Int("n") <= 0 || c.Int("k") <= 0 {
				return usagef("-n and --k must be positive (got %d, %d)", c.Int("n"), c.Int("k"))
			}
			opts := app.OutliersOptions{N: c.Int("n"), K: c.Int("k"), Sheets: c.String("sheets"), Progress: progressFor(c)}
			return withApp(c, true, func(a *app.App) error {
				res, err := a.Outliers(c.Context, opts)
				if err != nil {
					return err
				}
				return emit(c, res, printOutliers)
			})
		},
	}
}

func printOutliers(w io.Writer, res app.OutliersResult) error {
	t := newTable(w, "RANK", "ID", "SCORE", "NEAREST", "PATH")
	for _, o := range res.Outliers {
		var near []string
		for _, nb := range o.Neighbours { // all k: the k-th sets the score
			near = append(near, fmt.Sprintf("%s %.4f", nb.ID, nb.Distance))
		}
		t.row(o.Rank, o.ID, fmt.Sprintf("%.4f", o.Score), strings.Join(near, ", "), o.Path)
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "score = cosine distance to the %s nearest other image; %d highest of %d images; %.1f s\n",
		app.Ordinal(res.K), len(res.Outliers), res.Images, res.Seconds)
	if res.Sheets != nil {
		fmt.Fprintf(w, "wrote %d contact sheets and %s\n", res.Sheets.Files, res.Sheets.Index)
	}
	return nil
}
