package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/store"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write the stored vectors as a NumPy .npz (ids, vectors, and labels when clustered)",
		Description: "The archive holds ids (fixed-width unicode, N), vectors (float32, N×D) and, after\n" +
			"`vecimg cluster`, labels (int32, N; -1 = unlabelled); row i of each belongs to ids[i] (ids sorted).\n" +
			"Load it with numpy.load(path) — no pickle needed.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "vectors.npz", Usage: "output `FILE`"},
		},
		Action: func(c *cli.Context) error {
			st, err := openStore(c, true)
			if err != nil {
				return err
			}
			defer st.Close()
			out := c.String("out")
			var info store.ExportInfo
			err = writeFileAtomic(out, func(w io.Writer) error {
				var err error
				info, err = st.ExportNPZ(c.Context, w)
				return err
			})
			if err != nil {
				return err
			}
			what := "ids, vectors"
			if info.Labels {
				what += ", labels"
			}
			fmt.Fprintf(c.App.Writer, "wrote %s: %d × %d (%s)\n", out, info.Records, info.Dim, what)
			return nil
		},
	}
}
