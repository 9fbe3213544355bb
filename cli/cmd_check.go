package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "verify the store and its index file; list each problem with the id it concerns (exit 1 if any)",
		Description: "Reads every record once and checks its data, vector, hash and path index entries,\n" +
			"the counters and the manifest; then reads the index file beside the store (PATH.hnsw)\n" +
			"in full and checks its header, checksums, dimension and generation. Nothing is changed.",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("check takes no arguments (got %q); use --db PATH", c.Args().First())
			}
			return withApp(c, true, func(a *app.App) error {
				res, err := a.Check(c.Context)
				if err != nil && !errors.Is(err, app.ErrCheckFailed) {
					return err
				}
				if perr := emit(c, res, printCheck); perr != nil {
					return perr
				}
				if err != nil {
					return fmt.Errorf("%w: %d problem(s) in %s (listed above)", err, len(res.Problems), res.Store)
				}
				return nil
			})
		},
	}
}

func printCheck(w io.Writer, res app.CheckResult) error {
	for _, p := range res.Problems {
		where := p.Where
		if p.ID != "" {
			where += fmt.Sprintf(" record %q", p.ID)
		}
		if p.Key != "" {
			where += " (" + p.Key + ")"
		}
		fmt.Fprintf(w, "%s: %s\n", where, p.Reason)
	}
	idx := "no index file (built on the next query)"
	if res.Index != nil {
		idx = res.Index.String()
	}
	status := "ok"
	if !res.OK {
		status = fmt.Sprintf("%d problem(s)", len(res.Problems))
	}
	_, err := fmt.Fprintf(w, "%s: %d records, generation %d, schema %d; index: %s; %s\n", res.Store, res.Records, res.Generation, res.Schema, idx, status)
	return err
}
