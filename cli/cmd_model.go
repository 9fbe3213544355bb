package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func modelCommand() *cli.Command {
	return &cli.Command{
		Name:  "model",
		Usage: "build the VGG16 fc6 ONNX model from torchvision weights",
		Subcommands: []*cli.Command{{
			Name:  "build",
			Usage: "write the fc6 graph (13 conv+ReLU, 5 max-pools, adaptive avg-pool 7×7, flatten, classifier.0) as ONNX",
			Description: "Reads torchvision-format VGG16 weights (legacy or zip .pth). Channel counts come from\n" +
				"the tensors, so narrower variants with the same keys work. The batch dimension is dynamic.\n" +
				"--precision int8 writes the QDQ int8 graph (per-channel int8 weights, uint8 activations),\n" +
				"calibrated on the first --calibrate N images of --calibrate-from DIR (required); on a\n" +
				"CPU without VNNI the weights keep to 7 bits. ONNX Runtime's CPU provider runs it as\n" +
				"QLinearConv and QGemm.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "weights", Usage: "VGG16 weights `FILE` (.pth)"},
				&cli.StringFlag{Name: "out", Value: "fc6.onnx", Usage: "output `FILE`"},
				&cli.IntFlag{Name: "size", Value: 448, Usage: "input size (a multiple of 32; 448 for the blitz preset, 224 for imagenet)"},
				&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "fp32, fp16, mixed (convolutions in half, fc6 in float32) or int8 (needs --calibrate-from)"},
				&cli.IntFlag{Name: "calibrate", Usage: "with --precision int8: calibrate on the first `N` images (default 32) of --calibrate-from"},
				&cli.StringFlag{Name: "calibrate-from", Usage: "with --precision int8: the folder of calibration images (`DIR`)"},
				jsonFlag(),
			},
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return usagef("model build takes no arguments (got %q); use --weights FILE --out FILE", c.Args().First())
				}
				if c.String("weights") == "" {
					return usagef("model build needs --weights FILE (torchvision VGG16 weights, .pth)")
				}
				if w := c.String("weights"); strings.HasSuffix(strings.ToLower(w), ".onnx") {
					return usagef("--weights %s is already an ONNX model: model build makes one from torchvision .pth weights; give the ONNX file to ingest with --model", w)
				}
				if s := c.Int("size"); s <= 0 || s%32 != 0 {
					return usagef("--size %d: the input size must be a positive multiple of 32 (448 for the blitz preset, 224 for imagenet)", s)
				}
				switch p := c.String("precision"); p {
				case "fp32", "fp16", "mixed", "int8":
				default:
					return usagef("--precision %q: use fp32, fp16, mixed or int8", p)
				}
				res, err := app.BuildModel(c.Context, app.BuildModelOptions{Weights: c.String("weights"), Out: c.String("out"),
					Size: c.Int("size"), Precision: c.String("precision"), Calibrate: c.Int("calibrate"),
					CalibrateFrom: c.String("calibrate-from"), ORTLib: c.String("ort-lib"), Progress: progressFor(c)})
				if err != nil {
					return err
				}
				return emit(c, res, printBuildModel)
			},
		}},
	}
}

func printBuildModel(w io.Writer, m app.BuildModelResult) error {
	fmt.Fprintf(w, "wrote %s: input %s [N,3,%d,%d] → output %s [N,%d], %s, %s\n", m.Path, m.Input, m.Size, m.Size, m.Output, m.Dim, m.Precision, humanBytes(m.Bytes))
	if q := m.Quant; q != nil {
		fmt.Fprintf(w, "int8: %d-bit weights, activation ranges by %s over %d images (sha256 %s…)\n", q.WeightBits, q.Rule, q.Images, q.Digest[:16])
	}
	return nil
}
