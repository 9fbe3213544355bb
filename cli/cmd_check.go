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
		Description: "Verifies every checksum the store keeps (table blocks, value-log entries), reads every\n" +
			"record once and checks its data, vector, hash and path index entries and label, the\n" +
			"counters, the manifest and the state file (a store that went back in time is reported\n" +
			"with what was lost); then reads the index file beside the store (PATH.hnsw) in full and\n" +
			"checks its header, checksums, dimension and generation, and lists temporary files of\n" +
			"interrupted index saves. Without --repair nothing is changed. A read that makes no\n" +
			"progress for 2 minutes ends the check with a problem naming where it stalled (exit 1).\n" +
			"See docs/integrity.md.",
		Flags: []cli.Flag{jsonFlag(),
			&cli.BoolFlag{Name: "repair", Usage: "drop the damaged records and index entries, delete a damaged index file and stale temporary files, then check again"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("check takes no arguments (got %q); use --db PATH", c.Args().First())
			}
			repair := c.Bool("repair")
			cfg := appConfig(c, false) // LateWrite: read-only until --repair writes
			cfg.DeferOpen = true       // a store that does not open is a problem to list
			// A plain check reports a rollback instead of refusing the store;
			// a repair accepts one only with --accept-rollback.
			cfg.AcceptRollback = cfg.AcceptRollback || !repair
			var res app.CheckResult
			var err error
			local := func(a *app.App) (app.CheckResult, error) { return a.Check(c.Context, app.CheckOptions{Repair: repair}) }
			if repair {
				err = withAppConfig(c, cfg, func(a *app.App) error {
					res, err = local(a)
					return err
				})
			} else {
				// While another vecimg process writes the store, that process
				// checks what it has committed (cli/remote.go).
				res, err = readViaConfig(c, cfg, app.ReadCheck, nil, local)
			}
			if err != nil && !errors.Is(err, app.ErrCheckFailed) {
				return err
			}
			if perr := emit(c, res, printCheck); perr != nil {
				return perr
			}
			if err != nil {
				hint := "run `vecimg check --repair` to drop what is damaged"
				switch {
				case res.Stalled:
					hint = "a read of the store did not return; if its disk answers other reads, the store is damaged where the check stopped: restore it from a backup (--repair cannot drop what it cannot read)"
				case repair:
					hint = "what is left needs a backup or --accept-rollback"
				}
				return fmt.Errorf("%w: %s in %s (listed above); %s", err, count(len(res.Problems), "problem"), res.Store, hint)
			}
			return nil
		},
	}
}

func printCheck(w io.Writer, res app.CheckResult) error {
	if r := res.Repaired; r != nil {
		for _, id := range r.Records {
			fmt.Fprintf(w, "repaired: dropped damaged record %s\n", quoteText(id))
		}
		for _, f := range r.Files {
			fmt.Fprintf(w, "repaired: removed %s\n", escapeText(f))
		}
		if r.Keys > 0 {
			fmt.Fprintf(w, "repaired: %d index entries dropped or added\n", r.Keys)
		}
	}
	for _, p := range res.Problems {
		if p.Where == "index" && p.Key != "" {
			// Each index file problem is mended by removing the file, which
			// is what --repair does; a query can only rebuild a file that
			// does not open, so the removal comes first.
			fmt.Fprintf(w, "index file %s: %s; `vecimg check --repair` removes it and the next query rebuilds it\n", escapeText(p.Key), escapeText(p.Reason))
			continue
		}
		where := p.Where
		if p.ID != "" {
			where += " record " + quoteText(p.ID)
		}
		if p.Key != "" {
			where += " (" + escapeText(p.Key) + ")"
		}
		fmt.Fprintf(w, "%s: %s\n", where, escapeText(p.Reason))
	}
	idx := "no index file (built on the next query)"
	switch {
	case res.Index != nil && res.Index.Problem != "":
		idx = "not usable (listed above)"
	case res.Index != nil:
		idx = res.Index.String()
	}
	status := "ok"
	if !res.OK {
		status = count(len(res.Problems), "problem")
	}
	if res.Stalled {
		_, err := fmt.Fprintf(w, "%s: check stopped where a read did not return; %s\n", escapeText(res.Store), status)
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s, generation %d, schema %d; index: %s; %s\n", escapeText(res.Store), count(res.Records, "record"), res.Generation, res.Schema, idx, status)
	return err
}
