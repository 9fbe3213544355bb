package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
)

// readWait bounds how long a read command waits for a store held by a
// process that does not answer queries (a vecimg writer just starting, a
// reader recovering the store after a crash, another program). The tests
// shorten it.
var readWait = time.Minute

// readVia runs a read operation (op, one of app's Read constants, with
// options opts) on the --db store. When another vecimg process writes the
// store (an ingest, import, merge, cluster, rm or serve), that process
// answers through its own App, from what it has committed; when the holder
// does not answer, the command waits for the store (saying so) rather than
// failing at once.
func readVia[T any](c *cli.Context, op string, opts any, local func(a *app.App) (T, error)) (T, error) {
	return readViaConfig(c, appConfig(c, true), op, opts, local)
}

// readViaConfig is readVia with the App opened with cfg (check opens the
// store its own way, see cmd_check.go).
func readViaConfig[T any](c *cli.Context, cfg app.Config, op string, opts any, local func(a *app.App) (T, error)) (T, error) {
	var res T
	run := func() error {
		return withAppConfig(c, cfg, func(a *app.App) error {
			var err error
			res, err = local(a)
			return err
		})
	}
	err := run()
	if !errors.Is(err, ErrBusy) {
		return res, err
	}
	db := c.String("db")
	quiet := c.Bool("quiet") || c.Bool("json")
	deadline := time.Now().Add(readWait)
	told := false
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		var r T
		pid, ok, rerr := app.RemoteRead(c.Context, db, op, opts, &r)
		if ok {
			if !quiet {
				fmt.Fprintf(c.App.ErrWriter, "answered by the vecimg process writing %s (pid %d), from what it has committed so far\n", db, pid)
			}
			return r, rerr
		}
		if !told && !quiet {
			fmt.Fprintf(c.App.ErrWriter, "store %s is held by a vecimg process that does not answer queries; waiting for it (at most %s)\n", db, readWait)
		}
		told = true
		if time.Now().After(deadline) {
			return res, err
		}
		select { // the holder gives no wake-up: poll, backing off
		case <-time.After(pause):
		case <-c.Context.Done():
			return res, c.Context.Err()
		}
		if err = run(); !errors.Is(err, ErrBusy) {
			return res, err
		}
	}
}

// absIfExists is path made absolute when it names an existing file, so that
// another process (with another working folder) reads the same file.
func absIfExists(path string) string {
	if _, err := os.Stat(path); err == nil {
		if abs, err := filepath.Abs(path); err == nil {
			return abs
		}
	}
	return path
}
