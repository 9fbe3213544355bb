package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func ingestCommand() *cli.Command {
	return &cli.Command{
		Name:      "ingest",
		Usage:     "embed every image under DIR (recursively: JPEG, PNG, GIF) into the store",
		ArgsUsage: "DIR",
		Description: "Each image becomes one record with id = its path under DIR without extension\n" +
			"(data/test/123.jpg → 123). Files already stored with the same content are skipped,\n" +
			"changed files are re-embedded, bad files are listed with a reason and skipped\n" +
			"(exit 0; with --strict, exit 3). Batches are committed as they finish, so an\n" +
			"interrupted run keeps its work: run it again to continue. Into an existing store,\n" +
			"the store's own model is used (from the cache, or rebuilt from the weights it records).",
		Flags: append(append(modelFlags(), runtimeFlags()...),
			&cli.IntFlag{Name: "batch", Value: 16, Usage: "images per inference batch"},
			&cli.IntFlag{Name: "workers", Usage: "decode/preprocess workers (default: number of CPUs)"},
			&cli.BoolFlag{Name: "strict", Usage: "exit with status 3 when any file is bad"},
			shardFlags()[0], shardFlags()[1],
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return argCountError("ingest", "folder (DIR)", c.Args().Slice())
			}
			opts := app.IngestOptions{Dir: c.Args().First(), Model: modelOptions(c), Batch: c.Int("batch"),
				Workers: c.Int("workers"), Progress: progressFor(c)}
			var err error
			if opts.Shard, err = shardOption(c); err != nil {
				return err
			}
			return withApp(c, false, func(a *app.App) error {
				res, err := a.Ingest(c.Context, opts)
				if err != nil {
					return err
				}
				if err := emit(c, res, printIngest); err != nil {
					return err
				}
				if c.Bool("strict") && len(res.Bad) > 0 {
					return fmt.Errorf("%w: %d bad files (listed above)", ErrBadFiles, len(res.Bad))
				}
				return nil
			})
		},
	}
}

func printIngest(w io.Writer, s app.IngestResult) error {
	if s.Shard != "" {
		fmt.Fprintf(w, "shard %s (%s): ", s.Shard, s.ShardFrom)
	}
	fmt.Fprintf(w, "%s: %d images found; %d embedded", filepath.Clean(s.Dir), s.Total, s.Stored)
	if s.Replaced > 0 {
		fmt.Fprintf(w, " (%d changed)", s.Replaced)
	}
	if s.Copied > 0 {
		fmt.Fprintf(w, ", %d copied from identical files", s.Copied)
	}
	fmt.Fprintf(w, ", %d already stored, %d bad; %.1fs", s.Present, len(s.Bad), s.Seconds)
	if s.PerSec > 0 {
		fmt.Fprintf(w, " (%.1f img/s on %s)", s.PerSec, s.Device)
	}
	fmt.Fprintln(w)
	for _, b := range s.Bad {
		fmt.Fprintf(w, "  bad: %s: %s\n", b.Path, b.Reason)
	}
	return nil
}
