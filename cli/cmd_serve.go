package cli

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "browse and search the store in a web browser, and serve a JSON API (/api/v1/)",
		Description: "Keeps the store, its index and the model open and serves, at http://ADDR/:\n" +
			"a page with the clusters, each image's neighbours, search with a dropped-in photo and\n" +
			"a 2-D map of the store; and the JSON API under /api/v1/ (see the README).\n" +
			"--watch DIR ingests DIR now and then every new or changed image (file events and a\n" +
			"rescan every --rescan), with the rules of `vecimg ingest`; queries are answered meanwhile.\n" +
			"While it runs, other vecimg commands on the same store say that serve holds it.\n" +
			"Ctrl-C (SIGINT) or SIGTERM: requests in flight finish, the ingest batch in flight is\n" +
			"committed, then it exits.",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: types.DefaultAddr, Usage: "listen on `HOST:PORT` (other than 127.0.0.1/localhost exposes the store to the network: set --token)"},
			&cli.StringFlag{Name: "watch", Usage: "ingest `DIR` at start and whenever images appear or change in it"},
			followLinksFlag(),
			recallTargetFlag(),
			&cli.DurationFlag{Name: "rescan", Value: types.DefaultRescan, Usage: "with --watch: also rescan DIR this often (0 = only on file events)"},
			&cli.StringFlag{Name: "token", EnvVars: []string{"VECIMG_TOKEN"}, Usage: "require this `TOKEN` on every API call (Authorization: Bearer TOKEN; the page asks for it)"},
			&cli.StringFlag{Name: "max-upload", Value: "32MiB", Usage: "largest image upload accepted (`SIZE`: bytes, or with KiB, MiB, GiB)"},
			&cli.IntFlag{Name: "batch", Usage: "with --watch: images per inference batch (default: ingest's)"},
			&cli.IntFlag{Name: "workers", Usage: "with --watch: decode workers (default: number of CPUs; fewer leaves more CPU to queries)"},
		}, modelFlags()...), runtimeFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("serve takes no arguments (got %q); use --watch DIR to ingest a folder", c.Args().First())
			}
			if err := checkRecallTarget(c); err != nil {
				return err
			}
			addr := c.String("addr")
			if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
				return usagef("--addr %q is not HOST:PORT (e.g. 127.0.0.1:8080)", addr)
			}
			maxUpload, err := parseSize(c.String("max-upload"))
			if err != nil {
				return usagef("--max-upload: %v", err)
			}
			if c.Int64("max-pixels") <= 0 {
				return usagef("--max-pixels must be positive")
			}
			if c.Int("batch") < 0 || c.Int("workers") < 0 || c.Duration("rescan") < 0 {
				return usagef("--batch, --workers and --rescan must not be negative")
			}
			watch := c.String("watch")
			if watch != "" {
				if fi, err := os.Stat(watch); err != nil || !fi.IsDir() {
					return usagef("--watch %s is not a folder: pass the folder that holds the images", watch)
				}
			}
			rescan := c.Duration("rescan")
			if rescan == 0 {
				rescan = -1 // the server's "none"
			}
			log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
			cfg := appConfig(c, false)
			cfg.LateWrite = false // one App for every request: open for writing now, holding the store
			a, err := app.Open(c.Context, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			db := c.String("db")
			if watch == "" {
				// Nothing would ever fill a missing store: a mistyped --db.
				if _, err := a.Store(); err != nil {
					return err
				}
			} else if err := a.CheckModel(modelOptions(c)); err != nil {
				return err // refused now, not retried at every rescan
			}
			var removeLock func()
			so := app.ServeOptions{
				Addr: addr, Token: c.String("token"), MaxUpload: maxUpload, MaxPixels: c.Int64("max-pixels"),
				WatchDir: watch, Rescan: rescan, Log: log, FollowLinks: c.Bool("follow-links"),
				Model: modelOptions(c), Batch: c.Int("batch"), Workers: c.Int("workers"),
				OnWarn: func(msg string) { log.Warn(msg) },
				OnListen: func(bound string) error {
					rm, err := app.WriteServeLock(db, bound)
					if err != nil {
						return fmt.Errorf("cannot record the server beside the store: %w", err)
					}
					removeLock = rm
					fmt.Fprintf(c.App.ErrWriter, "vecimg serve: http://%s/ (store %s)\n", bound, db)
					return nil
				},
			}
			err = a.Serve(c.Context, so)
			if removeLock != nil {
				removeLock()
			}
			if serr := a.SaveIndex(); serr != nil {
				log.Warn("could not save the index file; the next query rebuilds it", "err", serr)
			}
			return err
		},
	}
}

// parseSize reads a byte count: 1048576, 512KiB, 32MiB, 1GiB (KB, MB and
// GB are taken as the same binary units).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size such as 32MiB", s)
	}
	return n * mult, nil
}
