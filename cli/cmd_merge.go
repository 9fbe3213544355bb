package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "merge stores (or vecimg Parquet exports) made with the same model into --db",
		ArgsUsage: "STORE...",
		Description: "Adds every record of the inputs to the store at --db (created when missing), e.g. the\n" +
			"stores of a sharded ingest (vecimg ingest --shard I/N). Inputs are store folders or\n" +
			"folders written by `vecimg export --format parquet`. All inputs must come from the same\n" +
			"model, preset and dimension: a mismatch is refused and names the field.\n" +
			"\n" +
			"The same id in several inputs (or already in --db) with the same content (image SHA-256\n" +
			"and bit-identical vector) is stored once. The same id with different content is a\n" +
			"conflict, never dropped silently: by default (--on-conflict refuse) the merge lists the\n" +
			"conflicting ids and writes nothing; with --on-conflict rename the first holder (--db\n" +
			"itself, then the inputs in the order given) keeps the id and every other content is\n" +
			"stored as ID~N, N the input's position (1 = the first input).\n" +
			"\n" +
			"Every input is read twice, streaming in id order: once to check, once to write, in\n" +
			"batches that are each committed atomically. An interrupted merge keeps what it wrote:\n" +
			"run the same command again to finish. Merged records are unlabelled (labels of\n" +
			"separately clustered inputs mean different things): run `vecimg cluster` on the result.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "on-conflict", Value: types.MergeRefuse, Usage: "same id, different content: refuse (write nothing) or rename (keep both, the later as ID~N)"},
			&cli.BoolFlag{Name: "no-index", Usage: "do not build the index now (the first query builds it)"},
			recallTargetFlag(),
			jsonFlag(),
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress output"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return usagef("merge needs at least one input: vecimg merge --db OUT STORE... (see vecimg merge --help)")
			}
			oc := c.String("on-conflict")
			if oc != types.MergeRefuse && oc != types.MergeRename {
				return usagef("--on-conflict %q: use refuse or rename", oc)
			}
			opts := app.MergeOptions{Inputs: c.Args().Slice(), OnConflict: oc, NoIndex: c.Bool("no-index"), Progress: progressFor(c)}
			return withApp(c, false, func(a *app.App) error {
				res, err := a.Merge(c.Context, opts)
				if err != nil {
					return err
				}
				return emit(c, res, printMerge)
			})
		},
	}
}

func printMerge(w io.Writer, res app.MergeResult) error {
	var ins []string
	for _, in := range res.Inputs {
		ins = append(ins, fmt.Sprintf("%s (%d)", in.Name, in.Records))
	}
	fmt.Fprintf(w, "merged %s into %s: %s written", strings.Join(ins, ", "), res.Into, count(int(res.Written), "record"))
	if res.Present > 0 {
		fmt.Fprintf(w, ", %d already there", res.Present)
	}
	if res.Duplicates > 0 {
		fmt.Fprintf(w, ", %d identical duplicates stored once", res.Duplicates)
	}
	fmt.Fprintf(w, "; %.1fs\n", res.Seconds)
	if res.NConflicts > 0 {
		fmt.Fprintf(w, "%d conflicting ids kept under new ids:\n", res.NConflicts)
		for _, cf := range res.Conflicts {
			fmt.Fprintf(w, "  %s: %s → kept by %s, renamed %s\n", escapeText(cf.ID), strings.Join(cf.Holders, ", "), cf.Holders[0], escapeText(strings.Join(cf.Renamed, ", ")))
		}
		if res.NConflicts > len(res.Conflicts) {
			fmt.Fprintf(w, "  … and %d more\n", res.NConflicts-len(res.Conflicts))
		}
	}
	return nil
}
