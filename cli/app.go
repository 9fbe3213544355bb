package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

// Version and Commit are set by the build (make build: -ldflags "-X
// github.com/vecimg/vecimg/cli.Version=... -X ...Commit=..."); otherwise
// --version reads them from Go's build information where it has them.
var (
	Version = "dev"
	Commit  = ""
)

func init() {
	cli.FlagStringer = flagStringer(cli.FlagStringer)
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, versionText(types.ORTVersion)) }
}

// commands is the list of vecimg's commands; a new command is one line here
// and one cmd_<name>.go file.
func commands() []*cli.Command {
	return []*cli.Command{
		ingestCommand(),
		importCommand(),
		mergeCommand(),
		similarCommand(),
		clusterCommand(),
		exportCommand(),
		infoCommand(),
		checkCommand(),
		dupsCommand(), outliersCommand(), rmCommand(),
		modelCommand(),
		serveCommand(),
	}
}

// App returns the vecimg command-line application. Run it with Run, which
// lets flags follow positional arguments.
func App() *cli.App {
	a := &cli.App{
		Name:    "vecimg",
		Usage:   "image feature vectors (VGG16 fc6), similarity search and clustering, in one binary",
		Version: Version,
		Description: "Typical use:\n" +
			"   vecimg ingest data/test                          # vectors into ./vecimg.db\n" +
			"   vecimg similar 123.jpg                           # nearest neighbours\n" +
			"   vecimg cluster --k 5 --export submission_1.csv   # k-means labels as CSV\n" +
			"Flags may come before or after the arguments; global flags (--db, --ort-lib)\n" +
			"also after the command name; -- ends the flags (vecimg similar -- -x.jpg).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Value: "vecimg.db", EnvVars: []string{"VECIMG_DB"}, Usage: "store `PATH` (a folder)"},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a Go CPU profile to `FILE` (for developers)"},
			&cli.BoolFlag{Name: "accept-rollback", Usage: "open a store that went back in time (a damaged or restored file lost committed data) as it is now; see docs/integrity.md"},
			&cli.StringFlag{Name: "ort-lib", EnvVars: []string{types.ORTLibraryEnv}, Usage: "ONNX Runtime shared library `PATH` (default: the vecimg cache, then the system library path)"},
		},
		Commands: commands(),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				name := c.Args().First()
				if name == "help" { // vecimg help [COMMAND]
					if c.NArg() > 1 && c.App.Command(c.Args().Get(1)) != nil {
						return cli.ShowCommandHelp(c, c.Args().Get(1))
					}
					return cli.ShowAppHelp(c)
				}
				if s := suggest(name, commandNames(c.App.Commands)); s != "" {
					return usagef("unknown command %q; did you mean %q? (see vecimg --help)", name, s)
				}
				return usagef("unknown command %q (see vecimg --help)", name)
			}
			return cli.ShowAppHelp(c)
		},
		Before: func(c *cli.Context) error {
			if p := c.String("cpuprofile"); p != "" {
				f, err := os.Create(p)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
			}
			return nil
		},
		After: func(c *cli.Context) error {
			if c.String("cpuprofile") != "" {
				pprof.StopCPUProfile()
			}
			return nil
		},
		OnUsageError: func(c *cli.Context, err error, isSub bool) error {
			return usagef("%v%s (see --help)", err, unknownFlagHint(err, c.App.Flags))
		},
		ExitErrHandler:  func(*cli.Context, error) {}, // main decides exit codes
		HideHelpCommand: true,
	}
	setUsageErrors(a.Commands)
	return a
}

// setUsageErrors makes a bad flag of any command a usage error (exit 2).
func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return usagef("%s: %v%s (see vecimg %s --help)", c.Name, err, unknownFlagHint(err, c.Flags), c.Name)
		}
		setUsageErrors(c.Subcommands)
	}
}

// Run runs the application on a command line (args[0] is the program
// name), after moving flags written after positional arguments, and global
// flags written after the command name, to where urfave/cli reads them.
func Run(ctx context.Context, a *cli.App, args []string) error {
	return wordError(a.RunContext(ctx, reorderArgs(a, args)))
}

// withApp opens the --db store as an app.App for one operation and closes
// it afterwards. Commands that only read pass readOnly.
func withApp(c *cli.Context, readOnly bool, op func(a *app.App) error) error {
	return withAppConfig(c, appConfig(c, readOnly), op)
}

// withAppConfig is withApp with the App opened with cfg.
func withAppConfig(c *cli.Context, cfg app.Config, op func(a *app.App) error) error {
	if err := checkRecallTarget(c); err != nil {
		return err
	}
	a, err := app.Open(c.Context, cfg)
	if err != nil {
		return err
	}
	err = op(a)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}

// appConfig reads the global flags and the runtime flags of the command.
func appConfig(c *cli.Context, readOnly bool) app.Config {
	return app.Config{
		DB:             c.String("db"),
		ReadOnly:       readOnly,
		LateWrite:      true,
		AcceptRollback: c.Bool("accept-rollback"),
		RecallTarget:   c.Float64("recall-target"), // 0 where the command has no such flag
		ORTLib:         c.String("ort-lib"),
		Session: types.SessionOptions{Device: c.String("device"), Threads: c.Int("threads"),
			TF32: c.Bool("tf32"), ConvAlgoSearch: c.String("conv-search")},
		// A writer answers other commands' queries meanwhile (cli/remote.go)
		// and waits for queries that hold the store.
		ServeReads: !readOnly,
		OnWait:     func(msg string) { fmt.Fprintln(c.App.ErrWriter, msg) },
	}
}

// progressFor is the progress display of a command: quiet with -q or --json.
func progressFor(c *cli.Context) app.Progress {
	return newProgress(c.App.ErrWriter, c.Bool("quiet") || c.Bool("json"))
}
