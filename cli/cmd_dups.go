package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/dedup"
)

func dupsCommand() *cli.Command {
	return &cli.Command{
		Name:  "dups",
		Usage: "find groups of duplicate and near-duplicate images, and which one of each to keep",
		Description: "Files with the same SHA-256 form \"identical\" groups (no vector work). Every other image\n" +
			"asks the HNSW index for its neighbours within --threshold (cosine distance): a range query\n" +
			"on the index's compact codes whose error bounds rule most candidates out without reading\n" +
			"their vectors; the rest are measured exactly. Images within the threshold are joined, and the\n" +
			"connected components are the \"near\" groups (so two members can be farther apart than the\n" +
			"threshold when others link them). When an image has k neighbours within the threshold, k is\n" +
			"doubled up to --max-k. Each group keeps its largest image\n" +
			"(width × height), then the oldest stored, then the smallest id; the others are listed with\n" +
			"their distance to it. Groups come largest first.\n" +
			"--csv writes group,id,path,keep,distance; --sheets writes one PNG contact sheet per group\n" +
			"and an index.html. Nothing is deleted: pass the ids to `vecimg rm` for that.",
		Flags: []cli.Flag{
			&cli.Float64Flag{Name: "threshold", Aliases: []string{"t"}, Value: dedup.DefaultThreshold, Usage: "cosine distance `D` (1 − cos) under which two images are near-duplicates"},
			&cli.IntFlag{Name: "k", Value: dedup.DefaultK, Usage: "neighbours asked first per image"},
			&cli.IntFlag{Name: "max-k", Value: dedup.DefaultMaxK, Usage: "most neighbours asked per image (adaptive k)"},
			&cli.StringFlag{Name: "csv", Usage: "also write the groups to `FILE` (group,id,path,keep,distance)"},
			&cli.StringFlag{Name: "sheets", Usage: "also write contact sheets (one PNG per group + index.html) into `DIR`"},
			&cli.IntFlag{Name: "sheets-max", Value: app.DefaultSheetsMax, Usage: "with --sheets: at most this many groups get a sheet"},
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("dups takes no arguments (got %q)", c.Args().Slice())
			}
			t := c.Float64("threshold")
			if t <= 0 || t > 2 {
				return usagef("--threshold %v: give a cosine distance in (0, 2] (default %v)", t, dedup.DefaultThreshold)
			}
			opts := app.DupsOptions{Threshold: t, K: c.Int("k"), MaxK: c.Int("max-k"), CSV: c.String("csv"),
				Sheets: c.String("sheets"), SheetsMax: c.Int("sheets-max"), Progress: progressFor(c)}
			if opts.K <= 0 || opts.MaxK <= 0 || opts.SheetsMax <= 0 {
				return usagef("--k, --max-k and --sheets-max must be positive")
			}
			return withApp(c, true, func(a *app.App) error {
				res, err := a.Dups(c.Context, opts)
				if err != nil {
					return err
				}
				return emit(c, res, printDups)
			})
		},
	}
}

func printDups(w io.Writer, res app.DupsResult) error {
	identical, near, extra := 0, 0, 0
	for _, g := range res.Groups {
		if g.Kind == string(dedup.Identical) {
			identical++
		} else {
			near++
		}
		extra += len(g.Members) - 1
	}
	for _, g := range res.Groups {
		fmt.Fprintf(w, "group %d (%s): keep %s; %s\n", g.Group, kindLabel(g.Kind), g.Keep, count(len(g.Members)-1, "copy/copies"))
		t := newTable(w, "", "ID", "SIZE", "DISTANCE", "PATH")
		for _, m := range g.Members {
			mark := ""
			if m.Keep {
				mark = "keep"
			}
			id := m.ID
			if m.Copies > 0 {
				id = fmt.Sprintf("%s (+%d identical)", m.ID, m.Copies)
			}
			t.row("  "+mark, id, fmt.Sprintf("%dx%d", m.Width, m.Height), fmt.Sprintf("%.4f", m.Distance), m.Path)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(res.Groups) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s (%d identical, %d near) among %s at cosine distance ≤ %g; %s could be removed\n",
		count(len(res.Groups), "group"), identical, near, count(res.Images, "image"), res.Threshold, count(extra, "image"))
	s := res.Stats
	fmt.Fprintf(w, "%s queried with k=%d", count(s.Queried, "image"), res.K)
	if s.Raised > 0 {
		fmt.Fprintf(w, " (k raised for %d, up to %d; %d still had all %d neighbours within the threshold)", s.Raised, res.MaxK, s.Capped, res.MaxK)
	}
	fmt.Fprintf(w, "; %.1f s\n", res.Seconds)
	if res.CSV != "" {
		fmt.Fprintf(w, "wrote %s\n", res.CSV)
	}
	if res.Sheets != nil {
		fmt.Fprintf(w, "wrote %d contact sheets and %s\n", res.Sheets.Files, res.Sheets.Index)
		if n := len(res.Sheets.Unreadable); n > 0 {
			fmt.Fprintf(w, "%d images could not be read for the sheets (grey tiles), e.g. %s\n", n, res.Sheets.Unreadable[0])
		}
	}
	return nil
}

func kindLabel(k string) string {
	if k == string(dedup.Identical) {
		return "identical files"
	}
	return "near-duplicates"
}
