package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "delete stored records by id (the image files stay) and update the index",
		ArgsUsage: "ID...",
		Description: "Deletes the records of the given ids from the store in one atomic batch and brings\n" +
			"the index up to date. Every id is checked first: if one is not stored, nothing is deleted.\n" +
			"The image files themselves are not touched. Ids come from `vecimg dups`, `outliers`, `similar`.",
		Flags: []cli.Flag{recallTargetFlag(), jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return argCountError("rm", "one or more IDs", nil)
			}
			opts := app.RemoveOptions{IDs: c.Args().Slice(), Progress: progressFor(c)}
			return withApp(c, false, func(a *app.App) error {
				res, err := a.Remove(c.Context, opts)
				if err != nil {
					return err
				}
				return emit(c, res, printRemove)
			})
		},
	}
}

func printRemove(w io.Writer, res app.RemoveResult) error {
	for _, r := range res.Removed {
		fmt.Fprintf(w, "removed %s (%s)\n", escapeText(r.ID), escapeText(r.Path))
	}
	_, err := fmt.Fprintf(w, "%s removed, %d left; the image files were not touched\n", count(len(res.Removed), "record"), res.Images)
	return err
}
