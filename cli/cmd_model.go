package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/embed"
)

func modelCommand() *cli.Command {
	return &cli.Command{
		Name:  "model",
		Usage: "build the VGG16 fc6 ONNX model from torchvision weights",
		Subcommands: []*cli.Command{{
			Name:  "build",
			Usage: "write the fc6 graph (13 conv+ReLU, 5 max-pools, adaptive avg-pool 7×7, flatten, classifier.0) as ONNX",
			Description: "Reads torchvision-format VGG16 weights (legacy or zip .pth). Channel counts come from\n" +
				"the tensors, so narrower variants with the same keys work. The batch dimension is dynamic.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "weights", Usage: "VGG16 weights `FILE` (.pth)"},
				&cli.StringFlag{Name: "out", Value: "fc6.onnx", Usage: "output `FILE`"},
				&cli.IntFlag{Name: "size", Value: 448, Usage: "input size (a multiple of 32; 448 for the blitz preset, 224 for imagenet)"},
				&cli.StringFlag{Name: "precision", Value: "fp32", Usage: "fp32, fp16 or mixed (convolutions in half, fc6 in float32)"},
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
				case "fp32", "fp16", "mixed":
				default:
					return usagef("--precision %q: use fp32, fp16 or mixed", p)
				}
				m, err := embed.BuildModelFile(c.String("weights"), c.String("out"), c.Int("size"), c.String("precision"))
				if err != nil {
					return err
				}
				var size int64
				if fi, err := os.Stat(m.Path); err == nil {
					size = fi.Size()
				}
				fmt.Fprintf(c.App.Writer, "wrote %s: input %s [N,3,%d,%d] → output %s [N,%d], %s, %s\n", m.Path, m.Input, m.Size, m.Size, m.Output, m.Dim, m.Precision, humanBytes(size))
				return nil
			},
		}},
	}
}
