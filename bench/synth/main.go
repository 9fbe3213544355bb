package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vecimg/vecimg/internal/fsutil"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "fitted", "fitted (shaped like real fc6 features, needs -params), dense (tight groups of 10-1000 members, 10th-neighbour distance 0.002-0.005, built-in fc6 spectrum) or iso (isotropic Gaussian mixture)")
	paramsPath := fs.String("params", ".bench/scale/fc6-params.bin", "fitted: parameter file written by bench/fc6/fit.py")
	n := fs.Int("n", 1000000, "vectors in the base set (-out)")
	add := fs.Int("add", 0, "vectors in the add set (-add-out): the last positions generated")
	queries := fs.Int("queries", 0, "held-out query vectors (-queries-out): random positions of the first chunk")
	chunk := fs.Int("chunk", 65536, "positions per chunk (each chunk draws its own groups)")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "base set .npz (required)")
	addOut := fs.String("add-out", "", "add set .npz (required with -add)")
	queriesOut := fs.String("queries-out", "", "queries .npz (required with -queries)")
	workers := fs.Int("workers", 0, "goroutines (default: all cores); the output does not depend on it")
	dim := fs.Int("dim", 4096, "iso and dense: dimension")
	components := fs.Int("components", 50, "iso: mixture components")
	noise := fs.Float64("noise", 0.5, "iso: member noise (centre entries have unit variance)")
	quiet := fs.Bool("q", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("-out FILE.npz is required")
	}
	if (*add > 0) != (*addOut != "") || (*queries > 0) != (*queriesOut != "") {
		return errors.New("-add N goes with -add-out FILE and -queries N with -queries-out FILE")
	}
	var m model
	switch *kind {
	case "fitted":
		p, err := loadParams(*paramsPath)
		if err != nil {
			return err
		}
		m = fitted{p}
	case "dense":
		if *dim < 1 {
			return fmt.Errorf("dense needs -dim ≥ 1")
		}
		m = newDense(*dim, *seed)
	case "iso":
		if *dim < 1 || *components < 1 || !(*noise >= 0) {
			return fmt.Errorf("iso needs -dim ≥ 1, -components ≥ 1, -noise ≥ 0")
		}
		m = iso{Dim: *dim, Components: *components, Noise: *noise}
	default:
		return fmt.Errorf("-kind %q: want fitted, dense or iso", *kind)
	}
	l, err := newLayout(*n, *add, *queries, *chunk, *seed)
	if err != nil {
		return err
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	start := time.Now()
	// Nested atomic writes: a failure anywhere leaves all three files as
	// they were.
	err = fsutil.WriteFileAtomic(*out, func(bw io.Writer) error {
		return maybeAtomic(*addOut, func(aw io.Writer) error {
			return maybeAtomic(*queriesOut, func(qw io.Writer) error {
				return writeNPZs(m, l, *workers, progress, bw, aw, qw)
			})
		})
	})
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "synth: wrote %d base, %d add, %d query vectors (%s, dim %d, seed %d) in %.1f s\n",
			*n, *add, *queries, *kind, m.dim(), *seed, time.Since(start).Seconds())
	}
	return nil
}

// maybeAtomic writes path atomically, or calls write(nil) when path is "".
func maybeAtomic(path string, write func(io.Writer) error) error {
	if path == "" {
		return write(nil)
	}
	return fsutil.WriteFileAtomic(path, write)
}
