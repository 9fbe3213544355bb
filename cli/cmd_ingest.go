package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
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
			"the store's own model is used (from the cache, or rebuilt from the weights it records).\n" +
			"\n" +
			"--shard I/N embeds only the files whose id hashes to shard I of N (FNV-1a 64 of the id,\n" +
			"modulo N), so N processes on N machines cover every file exactly once; --shard auto\n" +
			"takes I from JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with --shards N) or\n" +
			"SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm array) and says which it used.\n" +
			"\n" +
			"--out DIR: when the ingest has finished, the store's records of this shard (with\n" +
			"--shard; else all of its records) are written to DIR as Parquet, exactly as\n" +
			"`vecimg export --format parquet --out DIR` writes them (part-NNNNN.parquet files, then\n" +
			"_SUCCESS; --rows-per-file, --vector-type), with the shard in the metadata\n" +
			"(vecimg.shard). The store (--db) is still written, so a re-run resumes and then writes\n" +
			"DIR again. DIR must be new, empty, or hold an earlier output of the same shard (without\n" +
			"--shard: an earlier export of a whole store), which is replaced; a folder with other\n" +
			"files, or with another shard's output, is refused before any work: give each shard its\n" +
			"own DIR. Nothing is written to DIR if the ingest fails or stops early.\n" +
			"\n" +
			"--precision int8 (CPUs): a new store gets an int8 model calibrated on the first --calibrate N\n" +
			"images of DIR (or of --calibrate-from DIR2), run through the fp32 model; the ranges and\n" +
			"the images' digest are recorded in the store, so later ingests, `similar FILE` and\n" +
			"`serve --watch` run the identical model, on any CPU. See docs/gpu-and-cpu.md.",
		Flags: append(append(modelFlags(), runtimeFlags()...),
			&cli.IntFlag{Name: "batch", Value: app.DefaultBatch, Usage: "images per inference batch"},
			&cli.IntFlag{Name: "workers", Usage: "decode/preprocess workers (default: number of CPUs)"},
			&cli.BoolFlag{Name: "strict", Usage: "exit with status 3 when any file is bad"},
			followLinksFlag(),
			recallTargetFlag(),
			shardFlags()[0], shardFlags()[1],
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "when done, write this shard's records as Parquet to folder `DIR` (see below)"},
			&cli.IntFlag{Name: "rows-per-file", Value: types.DefaultRowsPerFile, Usage: "with --out: at most `N` rows per Parquet file"},
			&cli.StringFlag{Name: "vector-type", Value: "float32", Usage: "with --out: float32 (exact) or float16 (half the size, rounded)"},
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also say why the device was chosen"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return argCountError("ingest", "folder (DIR)", c.Args().Slice())
			}
			prog := progressFor(c)
			opts := app.IngestOptions{Dir: c.Args().First(), Model: modelOptions(c), Batch: c.Int("batch"),
				Workers: c.Int("workers"), Out: c.String("out"), Progress: prog, FollowLinks: c.Bool("follow-links"), Verbose: c.Bool("verbose"),
				OnBad: func(b app.BadFile) { prog.Note("skipped " + b.Path + ": " + b.Reason + badFileAdvice(b)) }}
			// The Parquet options count only when given (their defaults are
			// those of export), so that giving them without --out is refused.
			if c.IsSet("rows-per-file") {
				opts.RowsPerFile = c.Int("rows-per-file")
			}
			if c.IsSet("vector-type") {
				opts.VectorType = c.String("vector-type")
			}
			var err error
			if opts.Shard, err = shardOption(c); err != nil {
				return err
			}
			return withApp(c, false, func(a *app.App) error {
				res, err := a.Ingest(c.Context, opts)
				if errors.Is(err, app.ErrInterrupted) && c.Bool("json") {
					// The counts of what was kept, then the error (exit 130).
					if jerr := emit(c, res, printIngest); jerr != nil {
						return jerr
					}
				}
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
	fmt.Fprintf(w, "%s → %s: %s found: %d embedded", filepath.Clean(s.Dir), s.Store, count(s.Total, "image"), s.Stored)
	if s.Replaced > 0 {
		fmt.Fprintf(w, " (%d changed)", s.Replaced)
	}
	if s.Copied > 0 {
		fmt.Fprintf(w, ", %d copied from identical files", s.Copied)
	}
	fmt.Fprintf(w, ", %d already stored, %d bad; %.1fs", s.Present, len(s.Bad), s.Seconds)
	if s.Stored > 0 && s.Seconds >= 1 && s.PerSec > 0 {
		fmt.Fprintf(w, " (%.1f img/s on %s)", s.PerSec, s.Device)
	}
	fmt.Fprintln(w)
	outside := false
	for _, b := range s.Bad {
		fmt.Fprintf(w, "  bad: %s: %s%s\n", escapeText(b.Path), escapeText(b.Reason), badFileAdvice(b))
		outside = outside || strings.Contains(b.Reason, "outside the folder")
	}
	if outside {
		fmt.Fprintln(w, "  (--follow-links follows symbolic links out of the folder)")
	}
	if h := s.Int8Hint; h != nil {
		fmt.Fprintf(w, "int8: on this kind of CPU (%s) --precision int8 measured %.1f× fp32's img/s, vectors at cosine ≥ %.4f (mean %.4f) to fp32's (%s); it needs a new --db\n",
			h.CPU, h.Speedup, h.CosineMin, h.CosineMean, h.Where)
	}
	if s.Out != nil {
		return printExportParquet(w, *s.Out)
	}
	return nil
}
