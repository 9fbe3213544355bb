package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "show what the store holds: count, dimension, model, preset, size on disk, last clustering",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("info takes no arguments (got %q); use --db PATH", c.Args().First())
			}
			res, err := readVia(c, app.ReadInfo, nil, func(a *app.App) (app.InfoResult, error) { return a.Info(c.Context) })
			if err != nil {
				return err
			}
			return emit(c, res, printInfo)
		},
	}
}

func printInfo(w io.Writer, in app.InfoResult) error {
	t := newTable(w)
	t.row("store", in.Path)
	t.row("images", in.Count)
	t.row("dimension", in.Dim)
	t.row("model", in.Model)
	if in.ModelDesc != "" {
		t.row("", in.ModelDesc)
	}
	if s := in.ModelSpec; s != nil {
		t.row("model kind", specText(*s))
	}
	t.row("preset", in.Preset)
	schema := fmt.Sprint(in.Schema)
	if in.Schema < types.SchemaVersion {
		schema += fmt.Sprintf(" (upgraded to %d when next opened for writing)", types.SchemaVersion)
	}
	t.row("schema", schema)
	t.row("size on disk", humanBytes(in.DiskBytes))
	t.row("generation", in.Generation)
	if in.Index != nil {
		t.row("index", in.Index.String())
	}
	if cl := in.Cluster; cl != nil {
		stale := ""
		if cl.Stale {
			stale = " (images changed since: run cluster again)"
		}
		t.row("clustering", fmt.Sprintf("k=%d seed=%d inertia=%.6g sizes=%v at %s%s", cl.K, cl.Seed, cl.Inertia, cl.Sizes, cl.At.Format(time.RFC3339), stale))
	}
	return t.flush()
}

// specText is a one-line description of a model spec.
func specText(s types.ModelSpec) string {
	switch s.Kind {
	case types.ModelImported:
		return fmt.Sprintf("imported (model %q; no model to embed new images)", s.Name)
	case "":
		return "unknown"
	}
	out := s.Kind
	if s.File != "" {
		out += " " + s.File
	}
	if s.SHA256 != "" {
		out += " sha256 " + s.SHA256[:min(16, len(s.SHA256))] + "…"
	}
	if s.InputSize > 0 {
		out += fmt.Sprintf(", %d×%d", s.InputSize, s.InputSize)
	}
	if s.Precision != "" {
		out += ", " + s.Precision
	}
	return out
}
