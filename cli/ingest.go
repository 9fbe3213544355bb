package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/store"
)

// modelFlags select the model and preprocessing; shared by ingest and model build.
func modelFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "weights", Usage: "torchvision VGG16 weights `FILE` (.pth); default: $VECIMG_WEIGHTS, the cache, then download " + embed.VGG16WeightsFile},
		&cli.StringFlag{Name: "model", Usage: "a ready ONNX image model `FILE` instead of VGG16 fc6 (say how to feed it with --preset)"},
		&cli.StringFlag{Name: "preset", Usage: "preprocessing `NAME`: " + strings.Join(embed.PresetNames(), ", ") + " (default: the store's, else blitz)"},
		&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "fp32, fp16 (half-precision weights and activations, for GPUs) or mixed (convolutions in half, fc6 in float32)"},
		&cli.BoolFlag{Name: "no-download", Usage: "never download weights"},
	}
}

func runtimeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "device", Value: "auto", Usage: "auto, cpu, cuda or cuda:N (auto: CUDA when its provider, libraries and a GPU are there, else CPU)"},
		&cli.IntFlag{Name: "threads", Usage: "CPU inference threads (default: all cores)"},
		&cli.BoolFlag{Name: "tf32", Value: true, Usage: "CUDA: allow TF32 math for fp32 (use --tf32=false for strict fp32)"},
		&cli.StringFlag{Name: "conv-search", Value: "EXHAUSTIVE", Usage: "CUDA: cuDNN convolution algorithm search: EXHAUSTIVE, HEURISTIC or DEFAULT"},
	}
}

func ingestCommand() *cli.Command {
	return &cli.Command{
		Name:      "ingest",
		Usage:     "embed every image under DIR (recursively: JPEG, PNG, GIF) into the store",
		ArgsUsage: "DIR",
		Description: "Each image becomes one record with id = its path under DIR without extension\n" +
			"(data/test/123.jpg → 123). Files already stored with the same content are skipped,\n" +
			"changed files are re-embedded, bad files are listed with a reason and skipped\n" +
			"(exit 0; with --strict, exit 3). Batches are committed as they finish, so an\n" +
			"interrupted run keeps its work: run it again to continue.",
		Flags: append(append(modelFlags(), runtimeFlags()...),
			&cli.IntFlag{Name: "batch", Value: 16, Usage: "images per inference batch"},
			&cli.IntFlag{Name: "workers", Usage: "decode/preprocess workers (default: number of CPUs)"},
			&cli.Int64Flag{Name: "max-pixels", Value: embed.DefaultMaxPixels, Usage: "refuse images with more pixels than this (decompression bombs), checked before decoding"},
			&cli.BoolFlag{Name: "strict", Usage: "exit with status 3 when any file is bad"},
			&cli.BoolFlag{Name: "json", Usage: "print a machine-readable summary"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return argCountError("ingest", "folder", c.Args().Slice())
			}
			return runIngest(c.Context, c, c.Args().First())
		},
	}
}

// modelForStore resolves the model for a store: flags first, else what the
// store's manifest recorded.
type modelChoice struct {
	preset embed.Preparer
	model  *embed.Model
}

func chooseModel(ctx context.Context, c *cli.Context, man *store.Manifest, quiet bool) (modelChoice, error) {
	presetName := c.String("preset")
	if presetName == "" && man != nil {
		presetName = man.Preset
	}
	if presetName == "" {
		presetName = "blitz"
	}
	prep, err := embed.NewPreparer(presetName, c.Int64("max-pixels"))
	if err != nil {
		return modelChoice{}, usagef("%v", err)
	}
	spec := embed.ModelSpec{Size: prep.Size(), Precision: c.String("precision"), ONNX: c.String("model")}
	if spec.ONNX == "" {
		// A store already made with a cached model needs no weights again.
		if man != nil && c.String("weights") == "" && os.Getenv(embed.WeightsEnv) == "" {
			if m, ok := embed.CachedModel(man.Model); ok {
				return modelChoice{prep, m}, nil
			}
		}
		var bar *progress
		w, err := embed.ResolveWeights(ctx, embed.WeightsOptions{
			Path:       c.String("weights"),
			NoDownload: c.Bool("no-download"),
			Progress: func(done, total int64) {
				if bar == nil {
					bar = newProgress(total, "downloading "+embed.VGG16WeightsFile, "B", quiet)
				}
				bar.set(done, "")
			},
		})
		if bar != nil {
			bar.finish()
		}
		if err != nil {
			return modelChoice{}, err
		}
		spec.Weights = w
	}
	m, err := embed.PrepareModel(ctx, spec)
	if err != nil {
		return modelChoice{}, err
	}
	return modelChoice{prep, m}, nil
}

func sessionOptions(c *cli.Context) embed.SessionOptions {
	return embed.SessionOptions{Device: c.String("device"), Threads: c.Int("threads"), TF32: c.Bool("tf32"), ConvAlgoSearch: c.String("conv-search")}
}

func runIngest(ctx context.Context, c *cli.Context, dir string) error {
	quiet := c.Bool("quiet") || c.Bool("json")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef("%s is not a folder: pass the folder that holds the images", dir)
	}
	st, err := openStore(c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var man *store.Manifest
	if m, ok, err := st.Manifest(); err != nil {
		return err
	} else if ok {
		man = &m
	}
	mc, err := chooseModel(ctx, c, man, quiet)
	if err != nil {
		return err
	}
	rt, err := embed.LoadRuntime(c.String("ort-lib"))
	if err != nil {
		return err
	}
	sess, err := embed.NewSession(rt, mc.model, sessionOptions(c))
	if err != nil {
		return err
	}
	defer sess.Close()
	if !quiet {
		fmt.Fprintf(c.App.ErrWriter, "model: %s\ndevice: %s (%s)\n", mc.model.Desc, sess.Device, sess.Why)
	}
	if sess.Dim() == 0 {
		if _, err := sess.Run(make([]float32, 3*mc.preset.Size()*mc.preset.Size()), 1, nil); err != nil {
			return err
		}
	}
	want := store.Manifest{Schema: store.SchemaVersion, Model: mc.model.Fingerprint, ModelDesc: mc.model.Desc,
		Preset: mc.preset.Name(), Dim: sess.Dim(), InputSize: mc.preset.Size()}
	if err := st.EnsureManifest(want); err != nil {
		return err
	}
	var bar *progress
	stats, err := embed.Ingest(ctx, dir, sess, &storeSink{st}, embed.IngestOptions{
		Batch:   c.Int("batch"),
		Workers: c.Int("workers"),
		Prep:    mc.preset,
		OnStart: func(total int) { bar = newProgress(int64(total), "ingest", "img", quiet) },
		Progress: func(s embed.IngestStats) {
			extra := ""
			if len(s.Bad) > 0 {
				extra = fmt.Sprintf("%d bad", len(s.Bad))
			}
			bar.set(int64(s.Done), extra)
		},
		OnBad: func(b embed.BadFile) {
			if !quiet {
				bar.note("skipped %s: %s", b.Path, b.Reason)
			}
		},
	})
	bar.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted: %d images stored before the stop are kept; run the same command again to continue: %w", stats.Stored+stats.Copied, err)
		}
		return err
	}
	if err := updateIndexAfterIngest(c, st, quiet); err != nil {
		return err
	}
	if c.Bool("json") {
		if err := printJSON(c.App.Writer, stats); err != nil {
			return err
		}
	} else {
		printIngestSummary(c.App.Writer, dir, stats)
	}
	if c.Bool("strict") && len(stats.Bad) > 0 {
		return fmt.Errorf("%w: %d bad files (listed above)", ErrBadFiles, len(stats.Bad))
	}
	return nil
}

func printIngestSummary(w io.Writer, dir string, s embed.IngestStats) {
	fmt.Fprintf(w, "%s: %d images found; %d embedded", filepath.Clean(dir), s.Total, s.Stored)
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
}

// storeSink adapts the store to embed.Sink.
type storeSink struct{ s *store.Store }

func (k *storeSink) Lookup(id string) (embed.Stored, bool, error) {
	r, err := k.s.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return embed.Stored{}, false, nil
	}
	if err != nil {
		return embed.Stored{}, false, err
	}
	return embed.Stored{SHA256: r.SHA256, Path: r.Path}, true, nil
}

func (k *storeSink) ByHash(sha string) (embed.Item, bool, error) {
	id, ok, err := k.s.ByHash(sha)
	if err != nil || !ok {
		return embed.Item{}, false, err
	}
	r, err := k.s.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return embed.Item{}, false, nil
	}
	if err != nil {
		return embed.Item{}, false, err
	}
	return embed.Item{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: r.Width, Height: r.Height, Vector: r.Vector}, true, nil
}

func (k *storeSink) Write(items []embed.Item) error {
	recs := make([]store.Record, len(items))
	for i, it := range items {
		recs[i] = store.Record{ID: it.ID, Path: it.Path, SHA256: it.SHA256, Width: it.Width, Height: it.Height,
			Vector: it.Vector, Meta: store.Meta{Label: store.NoLabel}}
	}
	return k.s.Put(recs)
}
