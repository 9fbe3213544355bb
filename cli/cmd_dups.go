package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

func dupsCommand() *cli.Command {
	return &cli.Command{
		Name:  "dups",
		Usage: "find groups of duplicate and near-duplicate images, and which one of each to keep",
		Description: "Files with the same SHA-256 form \"identical\" groups. Two other images match when one of\n" +
			"three signals says so: their vectors' cosine distance is within --threshold (range queries\n" +
			"through the HNSW index), or their pHash (mirrored and cropped copies included) is within --phash bits, or\n" +
			"their dHash within --dhash bits (hash pairs come from a banded lookup, never all pairs).\n" +
			"The thresholds are those --calibrate measured on this store's own images when it has run,\n" +
			"else the defaults; the output says which were used and where they came from.\n" +
			"Groups are stars: images are visited best first by --keep, and an image not yet grouped\n" +
			"takes every ungrouped image that matches it, so every member matches its kept image\n" +
			"directly (no chains through other members). --keep chooses the survivor: largest (width ×\n" +
			"height), oldest or newest stored, or under=PATH (a file in that folder); ties go to the\n" +
			"largest, then the oldest, then the smallest id. Each member says how it matched (cosine\n" +
			"distance, pHash and dHash distances, the signals within their thresholds).\n" +
			"Stores without image hashes (imported vectors, stores made before schema 3) match on\n" +
			"vectors alone until `dups --rehash` reads their source files.\n" +
			"--csv writes group,id,path,keep,distance,phash_distance,dhash_distance,mirrored,cropped,matched_by;\n" +
			"--sheets writes one PNG contact sheet per group and an index.html. Nothing is ever deleted:\n" +
			"--move-to DIR moves the files that are not kept (check first with --dry-run) and removes their records.",
		Flags: append([]cli.Flag{
			&cli.Float64Flag{Name: "threshold", Aliases: []string{"t"}, Usage: "cosine distance `D` (1 − cos) under which two images match by their vectors",
				DefaultText: fmt.Sprintf("calibrated, else %v", types.DefaultDupThreshold)},
			&cli.IntFlag{Name: "phash", Usage: "Hamming distance `H` under which two images match by pHash (mirrored and cropped copies too); -1 turns it off",
				DefaultText: fmt.Sprintf("calibrated, else %d (%d above %d images)", types.DefaultPHash, types.DefaultPHashLarge, types.DupLargeStore)},
			&cli.IntFlag{Name: "dhash", Usage: "Hamming distance `H` under which two images match by dHash; -1 turns it off",
				DefaultText: fmt.Sprintf("calibrated, else %d", types.DefaultDHash)},
			&cli.StringFlag{Name: "signals", Usage: "match by these signals only: a comma-separated `LIST` of vector, phash, dhash"},
			&cli.BoolFlag{Name: "rehash", Usage: "first compute the missing image hashes (and centre pHashes) from the records' source files (opens the store for writing; lists files that are gone or changed)"},
			&cli.StringFlag{Name: "keep", Value: "largest", Usage: "which image of a group survives (`RULE`): largest, oldest, newest, or under=PATH (a file in that folder)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
			&cli.IntFlag{Name: "k", Value: types.DefaultDupK, Usage: "neighbours asked first per image"},
			&cli.IntFlag{Name: "max-k", Value: types.DefaultDupMaxK, Usage: "most neighbours asked per image (adaptive k)"},
			&cli.StringFlag{Name: "csv", Usage: "also write the groups to `FILE`"},
			&cli.StringFlag{Name: "sheets", Usage: "also write contact sheets (one PNG per group + index.html) into `DIR`"},
			&cli.IntFlag{Name: "sheets-max", Value: app.DefaultSheetsMax, Usage: "with --sheets: at most this many groups get a sheet"},
			&cli.BoolFlag{Name: "calibrate", Usage: "instead of listing groups: copy a sample of the stored images in memory (JPEG q30, half size, 5–10% crop, ±20% brightness, gray, text watermark, mirror), embed the copies with the store's model, measure every signal against each image's nearest non-copies, and store the thresholds of highest recall at pair precision ≥ 0.99 (used by later runs)"},
			&cli.IntFlag{Name: "sample", Value: app.DefaultCalibrateSample, Usage: "with --calibrate: stored images to copy"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "with --calibrate: draws the sample and the crops"},
			&cli.StringFlag{Name: "move-to", Usage: "move every file that is not kept into `DIR` (at DIR/<id>.<ext>: relative paths kept; never overwrites, never deletes; DIR/vecimg-dups-moved-*.csv lists each move), then remove their records"},
			&cli.BoolFlag{Name: "dry-run", Usage: "with --move-to: check and print the moves, move nothing; with --calibrate: measure and print, store nothing"},
			jsonFlag(),
			&cli.StringFlag{Name: "weights", Usage: "with --calibrate, when the store's model is not cached: the store's weights `FILE` (checked against its SHA-256)"},
			&cli.StringFlag{Name: "model", Usage: "with --calibrate, when the store's ONNX model moved: the store's ONNX `FILE` (checked against its SHA-256)"},
			&cli.BoolFlag{Name: "no-download", Usage: "never download weights"},
		}, runtimeFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("dups takes no arguments (got %q)", c.Args().Slice())
			}
			if c.Bool("calibrate") {
				return calibrate(c)
			}
			if c.IsSet("sample") || c.IsSet("seed") {
				return usagef("--sample and --seed go with --calibrate")
			}
			opts := app.DupsOptions{K: c.Int("k"), MaxK: c.Int("max-k"), CSV: c.String("csv"), Keep: c.String("keep"),
				Sheets: c.String("sheets"), SheetsMax: c.Int("sheets-max"), Rehash: c.Bool("rehash"), Progress: progressFor(c),
				MoveTo: c.String("move-to"), DryRun: c.Bool("dry-run")}
			if opts.DryRun && opts.MoveTo == "" {
				return usagef("--dry-run goes with --move-to or --calibrate")
			}
			if c.IsSet("threshold") {
				t := c.Float64("threshold")
				if t <= 0 || t > 2 {
					return usagef("--threshold %v: give a cosine distance in (0, 2] (default %v)", t, types.DefaultDupThreshold)
				}
				opts.Threshold = t
			}
			for _, name := range []string{"phash", "dhash"} {
				if c.IsSet(name) {
					h := c.Int(name)
					if h < -1 || h > 15 {
						return usagef("--%s %d: give a Hamming distance in 0..15, or -1 for off", name, h)
					}
					if name == "phash" {
						opts.PHash = &h
					} else {
						opts.DHash = &h
					}
				}
			}
			if v := c.String("signals"); v != "" {
				opts.Signals = strings.Split(v, ",")
			}
			if opts.K <= 0 || opts.MaxK <= 0 || opts.SheetsMax <= 0 {
				return usagef("--k, --max-k and --sheets-max must be positive")
			}
			return withApp(c, !opts.Rehash && (opts.MoveTo == "" || opts.DryRun), func(a *app.App) error {
				res, err := a.Dups(c.Context, opts)
				if err != nil {
					return err
				}
				return emit(c, res, printDups)
			})
		},
	}
}

// calibrate runs dups --calibrate.
func calibrate(c *cli.Context) error {
	for _, f := range []string{"threshold", "phash", "dhash", "signals", "rehash", "csv", "sheets"} {
		if c.IsSet(f) {
			return usagef("--%s does not go with --calibrate, which chooses the thresholds", f)
		}
	}
	o := app.CalibrateOptions{Sample: c.Int("sample"), Seed: c.Uint64("seed"), DryRun: c.Bool("dry-run"), Model: modelOptions(c), Progress: progressFor(c)}
	if o.Sample < 2 {
		return usagef("--sample %d: give at least 2 (default %d)", o.Sample, app.DefaultCalibrateSample)
	}
	return withApp(c, o.DryRun, func(a *app.App) error {
		res, err := a.Calibrate(c.Context, o)
		if err != nil {
			return err
		}
		return emit(c, res, printCalibration)
	})
}

func printCalibration(w io.Writer, res app.CalibrateResult) error {
	fmt.Fprintf(w, "%d stored images copied %d ways in memory: %d pairs (%d copies of their original, %d with a nearest non-copy)\n\n",
		res.Sample, len(types.DupTransforms()), res.Pairs, res.Positives, res.Pairs-res.Positives)
	t := newTable(w, "SIGNALS", "THRESHOLDS", "PRECISION", "RECALL", "F1")
	for _, m := range res.Methods {
		th := "none reaches the precision"
		if m.Found {
			th = app.ThresholdWords(app.DupThresholds{Vector: m.Thresholds.Vector, PHash: m.Thresholds.PHash, DHash: m.Thresholds.DHash})
		}
		t.row(m.Name, th, precisionText(m.All), fmt.Sprintf("%.3f", m.All.Recall), fmt.Sprintf("%.3f", m.All.F1))
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nrecall / precision per transformation (each signal at its own thresholds above):\n")
	head := []any{"TRANSFORMATION"}
	for _, m := range res.Methods {
		head = append(head, m.Name)
	}
	t = newTable(w, head...)
	for i, tr := range types.DupTransforms() {
		row := []any{tr}
		for _, m := range res.Methods {
			sc := m.PerTransform[i].Score
			row = append(row, fmt.Sprintf("%.3f / %s", sc.Recall, precisionText(sc)))
		}
		t.row(row...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if n := len(res.Skipped); n > 0 {
		fmt.Fprintf(w, "%s skipped (source file gone, changed or unreadable), e.g. %s: %s\n", count(n, "image"), res.Skipped[0].Path, res.Skipped[0].Reason)
	}
	switch {
	case res.Saved:
		fmt.Fprintf(w, "stored in the manifest: dups now matches by %s; %.1f s\n", app.ThresholdWords(app.DupThresholds{Vector: res.Chosen.Vector, PHash: res.Chosen.PHash, DHash: res.Chosen.DHash}), res.Seconds)
	case !res.Methods[len(res.Methods)-1].Found:
		fmt.Fprintf(w, "no thresholds reach pair precision %.2f on this sample: nothing stored; %.1f s\n", res.MinPrecision, res.Seconds)
	default:
		fmt.Fprintf(w, "--dry-run: nothing stored; %.1f s\n", res.Seconds)
	}
	return nil
}

// precisionText is a score's precision, "-" when nothing was predicted.
func precisionText(s types.Score) string {
	if s.TP+s.FP == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", s.Precision)
}

func printDups(w io.Writer, res app.DupsResult) error {
	if r := res.Rehash; r != nil {
		printRehash(w, *r)
	}
	identical, near, extra := 0, 0, 0
	for _, g := range res.Groups {
		if g.Kind == types.DupIdentical {
			identical++
		} else {
			near++
		}
		extra += len(g.Members) - 1
	}
	for _, g := range res.Groups {
		fmt.Fprintf(w, "group %d (%s): keep %s; %s\n", g.Group, kindLabel(g.Kind), escapeText(g.Keep), count(len(g.Members)-1, "copy/copies"))
		t := newTable(w, "", "ID", "SIZE", "DISTANCE", "PHASH", "DHASH", "MATCHED BY", "PATH")
		for _, m := range g.Members {
			mark := ""
			if m.Keep {
				mark = "keep"
			}
			id := m.ID
			if m.Copies > 0 {
				id = fmt.Sprintf("%s (+%d identical)", m.ID, m.Copies)
			}
			by := strings.Join(m.MatchedBy, "+")
			if m.Mirrored {
				by += " (mirrored)"
			}
			if m.Cropped {
				by += " (cropped)"
			}
			t.row("  "+mark, id, fmt.Sprintf("%dx%d", m.Width, m.Height), fmt.Sprintf("%.4f", m.Distance), hashDist(m.PHash), hashDist(m.DHash), by, m.Path)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(res.Groups) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s (%d identical, %d near) among %s; %s could be removed (kept: %s)\n",
		count(len(res.Groups), "group"), identical, near, count(res.Images, "image"), count(extra, "image"), res.Keep)
	fmt.Fprintf(w, "matched by %s; thresholds: %s\n", app.ThresholdWords(res.Thresholds), thresholdSources(res.Thresholds))
	if m := res.Moved; m != nil {
		verb := "moved"
		if m.DryRun {
			verb = "would move (--dry-run: nothing moved)"
		}
		fmt.Fprintf(w, "%s %s into %s:\n", verb, count(len(m.Moves), "file"), m.Dir)
		t := newTable(w, "  GROUP", "FROM", "TO", "KEPT")
		for _, mv := range m.Moves {
			t.row(fmt.Sprintf("  %d", mv.Group), mv.From, mv.To, mv.Keep)
		}
		if err := t.flush(); err != nil {
			return err
		}
		if !m.DryRun {
			fmt.Fprintf(w, "%s removed from the store; the moves are listed in %s\n", count(m.Removed, "record"), m.CSV)
		}
	}
	th := res.Thresholds
	if (th.PHash >= 0 || th.DHash >= 0) && res.Hashed < res.Images {
		if res.Hashed == 0 {
			fmt.Fprintf(w, "no image has perceptual hashes (imported vectors, or a store made before schema 3): matched on vectors alone; `vecimg dups --rehash` reads the source files to add them\n")
		} else {
			fmt.Fprintf(w, "%d of %d images have no perceptual hashes and matched on vectors alone; `vecimg dups --rehash` reads their source files to add them\n", res.Images-res.Hashed, res.Images)
		}
	}
	s := res.Stats
	if th.Vector >= 0 {
		fmt.Fprintf(w, "%s queried with k=%d", count(s.Queried, "image"), res.K)
		if s.Raised > 0 {
			fmt.Fprintf(w, " (k raised for %d, up to %d; %d still had all %d neighbours within the threshold)", s.Raised, res.MaxK, s.Capped, res.MaxK)
		}
		fmt.Fprint(w, "; ")
	}
	fmt.Fprintf(w, "%.1f s\n", res.Seconds)
	if res.CSV != "" {
		fmt.Fprintf(w, "wrote %s\n", res.CSV)
	}
	if res.Sheets != nil {
		fmt.Fprintf(w, "wrote %d contact sheets and %s\n", res.Sheets.Files, res.Sheets.Index)
		if n := len(res.Sheets.Unreadable); n > 0 {
			fmt.Fprintf(w, "%s could not be read for the sheets (grey tiles), e.g. %s\n", count(n, "image"), res.Sheets.Unreadable[0])
		}
	}
	return nil
}

func printRehash(w io.Writer, r app.RehashResult) {
	fmt.Fprintf(w, "rehash: %d of %d images without hashes hashed from their files", r.Hashed, r.Missing)
	for _, x := range []struct {
		what  string
		paths []string
	}{{"gone", r.Gone}, {"changed since stored (run `vecimg ingest` on their folder)", r.Changed}} {
		if len(x.paths) > 0 {
			fmt.Fprintf(w, "; %d %s, e.g. %s", len(x.paths), x.what, escapeText(x.paths[0]))
		}
	}
	if len(r.Bad) > 0 {
		fmt.Fprintf(w, "; %d unreadable, e.g. %s (%s)", len(r.Bad), escapeText(r.Bad[0].Path), escapeText(r.Bad[0].Reason))
	}
	fmt.Fprintln(w)
}

func hashDist(d int) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprint(d)
}

// thresholdSources says where each threshold came from.
func thresholdSources(t app.DupThresholds) string {
	var parts []string
	for _, sg := range []string{app.SignalVector, app.SignalPHash, app.SignalDHash} {
		parts = append(parts, sg+" "+t.Source[sg])
	}
	s := strings.Join(parts, ", ")
	if c := t.Calibration; c != nil {
		s += fmt.Sprintf(" (calibrated %s on %d images: pair precision %.3f, recall %.3f)", c.At.Format("2006-01-02 15:04"), c.Sample, c.Precision, c.Recall)
	} else {
		s += " (no calibration: `vecimg dups --calibrate` measures them on this store's images)"
	}
	return s
}

func kindLabel(k string) string {
	if k == types.DupIdentical {
		return "identical files"
	}
	return "near-duplicates"
}
