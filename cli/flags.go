package cli

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

// modelFlags select the model and preprocessing (ingest).
func modelFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "weights", Usage: "torchvision VGG16 weights `FILE` (.pth); default: the store's model, $VECIMG_WEIGHTS, the cache, then download " + types.VGG16WeightsFile},
		&cli.StringFlag{Name: "model", Usage: "a ready ONNX image model `FILE` instead of VGG16 fc6 (say how to feed it with --preset)"},
		&cli.StringFlag{Name: "preset", Usage: "preprocessing `NAME`: " + strings.Join(types.PresetNames(), ", ") + " (default: the store's, else blitz)"},
		&cli.StringFlag{Name: "precision", Usage: "fp32, fp16 (half-precision weights and activations, for GPUs), mixed (convolutions in half, fc6 in float32) or int8 (CPUs: calibrated on your images, see --calibrate) (default: the store's, else fp32)"},
		&cli.IntFlag{Name: "calibrate", Usage: "with --precision int8 into a new store: measure activation ranges on the first `N` images (default 32) of the folder (or of --calibrate-from)"},
		&cli.StringFlag{Name: "calibrate-from", Usage: "with --precision int8 into a new store: calibrate on the images in `DIR` instead of the ingested folder"},
		&cli.BoolFlag{Name: "no-download", Usage: "never download weights"},
		&cli.Int64Flag{Name: "max-pixels", Value: types.DefaultMaxPixels, Usage: "refuse images with more pixels than this (decompression bombs), checked before decoding"},
	}
}

// queryModelFlags are the model flags of similar (a new image file is
// embedded with the store's own model).
func queryModelFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "weights", Usage: "for a new image file, when the store's model is not cached: the store's weights `FILE` (checked against its SHA-256)"},
		&cli.StringFlag{Name: "model", Usage: "for a new image file, when the store's ONNX model moved: the store's ONNX `FILE` (checked against its SHA-256)"},
		&cli.BoolFlag{Name: "no-download", Usage: "never download weights"},
		&cli.Int64Flag{Name: "max-pixels", Value: types.DefaultMaxPixels, Usage: "for a new image file: refuse images with more pixels"},
	}
}

func modelOptions(c *cli.Context) app.ModelOptions {
	return app.ModelOptions{Weights: c.String("weights"), ONNX: c.String("model"), Preset: c.String("preset"),
		Precision: c.String("precision"), NoDownload: c.Bool("no-download"), MaxPixels: c.Int64("max-pixels"),
		Calibrate: c.Int("calibrate"), CalibrateFrom: c.String("calibrate-from")}
}

func runtimeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "device", Value: "auto", Usage: "auto, cpu, cuda or cuda:N (auto: CUDA when its provider, libraries and a GPU are there, else CPU)"},
		&cli.IntFlag{Name: "threads", Usage: "CPU inference threads (default: all cores)"},
		&cli.BoolFlag{Name: "tf32", Value: true, Usage: "CUDA: allow TF32 math for fp32 (use --tf32=false for strict fp32)"},
		&cli.StringFlag{Name: "conv-search", Value: "EXHAUSTIVE", Usage: "CUDA: cuDNN convolution algorithm search: EXHAUSTIVE, HEURISTIC or DEFAULT"},
	}
}

// recallTargetFlag is --recall-target, on every command that builds the
// index or grows it (appConfig passes it on, withApp checks it).
func recallTargetFlag() cli.Flag {
	return &cli.Float64Flag{Name: "recall-target", Usage: "when this command builds the index (or updates it by 10% or more): the recall@10 its default ef is tuned for (default 0.99)"}
}

// checkRecallTarget refuses a --recall-target outside (0, 1], before
// anything is opened or written.
func checkRecallTarget(c *cli.Context) error {
	if !c.IsSet("recall-target") {
		return nil
	}
	if t := c.Float64("recall-target"); !(t > 0 && t <= 1) {
		return usagef("--recall-target must be in (0, 1], a recall@10 such as 0.99 (got %v)", t)
	}
	return nil
}
