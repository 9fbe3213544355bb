package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/store"
)

var sprintf = fmt.Sprintf

// Version is set by the build (-ldflags "-X github.com/vecimg/vecimg/cli.Version=...").
var Version = "dev"

// App returns the vecimg command-line application.
func App() *cli.App {
	return &cli.App{
		Name:    "vecimg",
		Usage:   "image feature vectors (VGG16 fc6), similarity search and clustering, in one binary",
		Version: Version,
		Description: "Typical use:\n" +
			"   vecimg ingest data/test                          # vectors into ./vecimg.db\n" +
			"   vecimg similar 123.jpg                           # nearest neighbours\n" +
			"   vecimg cluster --k 5 --export submission_1.csv   # k-means labels as CSV",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Value: "vecimg.db", EnvVars: []string{"VECIMG_DB"}, Usage: "store `PATH` (a folder)"},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a Go CPU profile to `FILE` (for developers)"},
			&cli.StringFlag{Name: "ort-lib", EnvVars: []string{"ONNXRUNTIME_SHARED_LIBRARY_PATH"}, Usage: "ONNX Runtime shared library `PATH` (default: the vecimg cache, then the system library path)"},
		},
		Commands: []*cli.Command{
			ingestCommand(),
			similarCommand(),
			clusterCommand(),
			exportCommand(),
			infoCommand(),
			modelCommand(),
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
			return usagef("%v (see --help)", err)
		},
		ExitErrHandler:  func(*cli.Context, error) {}, // main decides exit codes
		HideHelpCommand: true,
	}
}

// openStore opens the --db store, turning a lock conflict into ErrBusy.
func openStore(c *cli.Context, readOnly bool) (*store.Store, error) {
	path := c.String("db")
	if readOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no store at %s: run `vecimg ingest DIR` first, or pass --db PATH", path)
		}
	}
	s, err := store.Open(path, store.Options{ReadOnly: readOnly})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, busyError{err}
		}
		return nil, err
	}
	return s, nil
}

type busyError struct{ error }

func (e busyError) Is(t error) bool { return t == ErrBusy }
func (e busyError) Unwrap() error   { return e.error }
