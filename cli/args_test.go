package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

// TestReorderEveryCommand: for every command, flags after the positional
// arguments and global flags after the command name end up where urfave/cli
// reads them, and "--" keeps a file named like a flag positional.
func TestReorderEveryCommand(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ingest data/test --weights w.pth", "ingest --weights w.pth -- data/test"},
		{"ingest --db other.db data/test", "--db other.db ingest -- data/test"},
		{"ingest data/test -q --batch 4 --db o.db --strict", "--db o.db ingest -q --batch 4 --strict -- data/test"},
		{"import v.npz --model-name m --db x.db", "--db x.db import --model-name m -- v.npz"},
		{"import --model-name=m v.npz --json", "import --model-name=m --json -- v.npz"},
		{"similar 123.jpg -k 5", "similar -k 5 -- 123.jpg"},
		{"similar -k 5 123.jpg --json --ort-lib /x.so", "--ort-lib /x.so similar -k 5 --json -- 123.jpg"},
		{"similar -- -x.jpg -k 3", "similar -- -x.jpg -k 3"},
		{"similar -k 3 -- -x.jpg", "similar -k 3 -- -x.jpg"},
		{"similar 1 --exact --ef 10 --weights w", "similar --exact --ef 10 --weights w -- 1"},
		{"similar --check --queries 5 --db d", "--db d similar --check --queries 5"},
		{"cluster --export s.csv --k 5", "cluster --export s.csv --k 5"},
		{"cluster --k 5 --db d --template t.csv --export s.csv", "--db d cluster --k 5 --template t.csv --export s.csv"},
		{"cluster --report --k 2..4 --json", "cluster --report --k 2..4 --json"},
		{"export --db d -o v.npz", "--db d export -o v.npz"},
		{"export --format parquet --out d.parquet --rows-per-file 10", "export --format parquet --out d.parquet --rows-per-file 10"},
		{"merge a.db b.db --db out.db --on-conflict rename", "--db out.db merge --on-conflict rename -- a.db b.db"},
		{"ingest data --shard auto --shards 4", "ingest --shard auto --shards 4 -- data"},
		{"info --json --db d", "--db d info --json"},
		{"check --db d --json", "--db d check --json"},
		{"model build --weights w.pth --out m.onnx --db d", "--db d model build --weights w.pth --out m.onnx"},
		{"--db d similar 5 -k 2", "--db d similar -k 2 -- 5"},
		{"--cpuprofile p similar 5 --cpuprofile q", "--cpuprofile p --cpuprofile q similar -- 5"},
		{"similar 5 --help", "similar --help"},
		{"similar 5 -k 3 -h", "similar -k 3 -h"},
		{"export x --out -h", "export --out -h -- x"},
		{"similar 5 --nope 3", "similar --nope -- 5 3"},
		{"serve --addr 127.0.0.1:0 --db d --watch w --token t", "--db d serve --addr 127.0.0.1:0 --watch w --token t"},
		{"nosuch a -b", "nosuch a -b"},
		{"-k 3", "-k 3"},
	} {
		got := strings.Join(reorderArgs(App(), append([]string{"vecimg"}, strings.Fields(tc.in)...))[1:], " ")
		if got != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.in, got, tc.want)
		}
	}
	// Every command, including ones added later: a value flag and a bool
	// flag after a positional argument, --db after the command name.
	for _, c := range allCommands(App().Commands, nil) {
		var valueFlag, boolFlag string
		for _, f := range c.cmd.Flags {
			_, isBool := f.(*cli.BoolFlag)
			if n := f.Names()[0]; isBool && boolFlag == "" {
				boolFlag = "--" + n
			} else if !isBool && valueFlag == "" {
				valueFlag = "--" + n
			}
		}
		in := append(append([]string{"vecimg"}, c.path...), "ARG")
		want := []string{"--db", "d.db"}
		want = append(want, c.path...)
		if valueFlag != "" {
			in = append(in, valueFlag, "V")
			want = append(want, valueFlag, "V")
		}
		in = append(in, "--db", "d.db")
		if boolFlag != "" {
			in = append(in, boolFlag)
			want = append(want, boolFlag)
		}
		in = append(in, "--", "-x.jpg")
		want = append(want, "--", "ARG", "-x.jpg")
		if got := strings.Join(reorderArgs(App(), in)[1:], " "); got != strings.Join(want, " ") {
			t.Errorf("%s:\n got  %s\n want %s", strings.Join(c.path, " "), got, strings.Join(want, " "))
		}
	}
}

type pathCmd struct {
	path []string
	cmd  *cli.Command
}

// allCommands lists the leaf commands with their paths (model build).
func allCommands(cmds []*cli.Command, parent []string) []pathCmd {
	var out []pathCmd
	for _, c := range cmds {
		p := append(append([]string(nil), parent...), c.Name)
		if len(c.Subcommands) > 0 {
			out = append(out, allCommands(c.Subcommands, p)...)
			continue
		}
		out = append(out, pathCmd{p, c})
	}
	return out
}

// TestFlagsAnywhere runs every store command as users type them, flags
// after arguments and global flags after the command, on an imported store
// (no model needed).
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	npzFile := testfix.NPZ(t, dir, "v.npz", []string{"1", "2", "3", "-x", "5", "6"}, 8, 3)
	imp := decodeJSON[app.ImportResult](t, mustRun(t, "import", npzFile, "--model-name", "test-model", "--db", db, "--json"))
	if imp.Rows != 6 || imp.Dim != 8 {
		t.Fatalf("import: %+v", imp)
	}
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "similar", "1", "-k", "2", "--db", db, "--json"))
	if out.QueryID != "1" || len(out.Results) != 2 {
		t.Fatalf("similar 1 -k 2: %+v", out)
	}
	// A file named like a flag, after "--": resolves to the stored id "-x".
	out = decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "3", "--", "-x.jpg"))
	if out.QueryID != "-x" || len(out.Results) != 3 {
		t.Fatalf("similar -- -x.jpg: %+v", out)
	}
	// Without "--" it is an unknown flag: a usage error, not a search.
	if _, err := run(t, "--db", db, "similar", "-x.jpg"); !errors.Is(err, ErrUsage) {
		t.Fatalf("similar -x.jpg: %v, want a usage error", err)
	}
	csv := filepath.Join(dir, "s.csv")
	mustRun(t, "cluster", "--export", csv, "--k", "2", "--db", db)
	if b, err := os.ReadFile(csv); err != nil || !strings.HasPrefix(string(b), "ImageID,label\n") || strings.Count(string(b), "\n") != 7 {
		t.Fatalf("cluster --export: %v\n%s", err, b)
	}
	rep := mustRun(t, "cluster", "--report", "--db", db, "--k", "2..3")
	if !strings.Contains(rep, "suggested k:") {
		t.Fatalf("cluster --report:\n%s", rep)
	}
	exp := filepath.Join(dir, "out.npz")
	if o := mustRun(t, "export", "--db", db, "-o", exp); !strings.Contains(o, "wrote "+exp+": 6 × 8 (ids, vectors, labels)") {
		t.Fatalf("export: %s", o)
	}
	if o := mustRun(t, "info", "--db", db); !hasRow(o, "images", "6") || !hasRow(o, "preset", "none") {
		t.Fatalf("info:\n%s", o)
	}
	if o := mustRun(t, "check", "--db", db); !strings.Contains(o, "6 records") || !strings.HasSuffix(strings.TrimSpace(o), "ok") {
		t.Fatalf("check:\n%s", o)
	}
	if o := mustRun(t, "similar", "--db", db, "--check", "-k", "2", "--queries", "3"); !strings.Contains(o, "recall@2") {
		t.Fatalf("similar --check:\n%s", o)
	}
	// --help anywhere.
	for _, args := range [][]string{{"similar", "x", "--help"}, {"cluster", "--help"}, {"import", "f.npz", "-h"}, {"model", "build", "--help"}, {"check", "--help"}} {
		if _, err := run(t, args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}
