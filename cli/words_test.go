package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// An interrupted ingest with --json still prints its counts (what was kept),
// and the error reads as a sentence, without Go's "context canceled" (21.1).
func TestInterruptedIngestJSON(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 6, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := App()
	var out, errOut strings.Builder
	a.Writer, a.ErrWriter = &out, &errOut
	err := Run(ctx, a, []string{"vecimg", "--db", filepath.Join(dir, "s.db"), "ingest", "--json", "--weights", testWeights, imgs})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v, want an interruption worded for people", err)
	}
	res := decodeJSON[app.IngestResult](t, out.String())
	if !res.Interrupted || res.Total != 6 {
		t.Fatalf("JSON of an interrupted ingest: %s", out.String())
	}
}

// serve refuses a --db where no store is (without --watch nothing would
// fill it) and, with --watch, model options the store cannot take, at
// start instead of retrying every rescan (21.5, 21.6).
func TestServeRefusesAtStart(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 2, 5)
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--db", db, "ingest", "-q", "--weights", testWeights, imgs)
	serve := func(args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel() // bounds a serve that wrongly starts
		a := App()
		a.Writer, a.ErrWriter = io.Discard, io.Discard
		return Run(ctx, a, append([]string{"vecimg", "serve", "--addr", "127.0.0.1:0"}, args...))
	}
	typo := filepath.Join(dir, "typo.db")
	if err := serve("--db", typo); !errors.Is(err, app.ErrNoStore) || !strings.Contains(err.Error(), "no store at "+typo) {
		t.Errorf("serve on a missing store: %v", err)
	}
	if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
		t.Error("serve created the mistyped store")
	}
	err := serve("--db", db, "--watch", imgs, "--preset", "imagenet")
	if !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "preset blitz, not imagenet") {
		t.Errorf("serve --watch --preset imagenet on a blitz store: %v", err)
	}
	_, err = run(t, "--db", db, "ingest", "--preset", "imagenet", imgs)
	if !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "preset blitz, not imagenet") {
		t.Errorf("ingest --preset imagenet on a blitz store: %v", err)
	}
}

// export refuses Parquet options for an npz export, and an --out that is a
// folder says how to write Parquet (21.11); its JSON has format and
// seconds like the Parquet export's.
func TestExportFlagsNotIgnored(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--db", db, "import", testfix.NPZ(t, dir, "v.npz", []string{"a", "b", "c"}, 8, 1), "--model-name", "m", "-q")
	os.MkdirAll(filepath.Join(dir, "pq"), 0o755)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--out", filepath.Join(dir, "v.npz"), "--vector-type", "float16"}, "--format parquet"},
		{[]string{"export", "--out", filepath.Join(dir, "v.npz"), "--rows-per-file", "10"}, "--format parquet"},
		{[]string{"export", "--out", filepath.Join(dir, "pq")}, "--format parquet"},
	} {
		_, err := run(t, append([]string{"--db", db}, c.args...)...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error naming %s", c.args, err, c.want)
		}
	}
	out := mustRun(t, "--db", db, "export", "--json", "--out", filepath.Join(dir, "w.npz"))
	if !strings.Contains(out, `"format": "npz"`) || !strings.Contains(out, `"seconds":`) {
		t.Errorf("npz export JSON: %s", out)
	}
}

// A file argument with an extension is that file unless it is the stored
// one, and the answer says how the query was resolved (21.13).
func TestSimilarSaysWhatTheQueryIs(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 4, 21) // 0.png … 3.png
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--db", db, "ingest", "-q", "--weights", testWeights, imgs)
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	testfix.NoisePNGs(t, other, 2, 99) // a different 1.png
	t.Chdir(other)
	res := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "2", "1.png"))
	if res.QueryKind != "file" || res.QueryFile != "1.png" || res.QueryID != "" {
		t.Errorf("similar 1.png beside another 1.png: %+v", res)
	}
	res = decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "2", "1"))
	if res.QueryKind != "id" || res.QueryID != "1" {
		t.Errorf("similar 1: %+v", res)
	}
	res = decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "2", filepath.Join(imgs, "1.png")))
	if res.QueryKind != "id" || res.QueryID != "1" {
		t.Errorf("similar of the stored file's path: %+v", res)
	}
	if out := mustRun(t, "--db", db, "similar", "-k", "2", "1.png"); !strings.HasPrefix(out, "query: file 1.png, embedded") {
		t.Errorf("text answer does not say what the query was:\n%s", out)
	}
}

// import of a vecimg Parquet export restores the store as exported: its
// manifest, paths, hashes and labels, without --model-name (21.14).
func TestImportRestoresVecimgExport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	ids := []string{"a", "b", "c", "d", "e", "f"}
	mustRun(t, "--db", db, "import", testfix.NPZ(t, dir, "v.npz", ids, 8, 2), "--model-name", "seeded", "-q")
	mustRun(t, "--db", db, "cluster", "--k", "2", "-q")
	pq := filepath.Join(dir, "exp")
	mustRun(t, "--db", db, "export", "--format", "parquet", "--out", pq, "-q")
	back := filepath.Join(dir, "back.db")
	mustRun(t, "--db", back, "import", pq, "-q")
	mustRun(t, "--db", back, "check") // the restored labels are one whole clustering
	if _, err := run(t, "--db", filepath.Join(dir, "x.db"), "import", pq, "--model-name", "other"); !errors.Is(err, ErrUsage) {
		t.Errorf("--model-name with a vecimg export: %v", err)
	}
	src, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := store.Open(back, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	m1, _, _ := src.Manifest()
	m2, _, _ := dst.Manifest()
	if m1.Model != m2.Model || m1.Spec != m2.Spec || m1.Dim != m2.Dim {
		t.Errorf("manifest %+v, restored %+v", m1, m2)
	}
	for _, id := range ids {
		r1, err1 := src.Get(id)
		r2, err2 := dst.Get(id)
		if err1 != nil || err2 != nil || r1.Path != r2.Path || r1.SHA256 != r2.SHA256 || r1.Meta.Label != r2.Meta.Label || r2.Meta.Label == store.NoLabel {
			t.Errorf("%s: %+v / restored %+v (%v, %v)", id, r1.Meta, r2.Meta, err1, err2)
		}
	}
}

// First-use polish (issue 21): an empty folder creates nothing and says
// so plainly; --weights FILE.onnx points to --model; the summary names the
// store and the device line is short.
func TestIngestFirstUse(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(empty, 0o755)
	db := filepath.Join(dir, "s.db")
	_, err := run(t, "--db", db, "ingest", "--weights", testWeights, empty)
	if !IsBadInput(err) || !strings.Contains(err.Error(), "no JPEG, PNG or GIF under "+empty) {
		t.Errorf("empty folder: %v", err)
	}
	if _, serr := os.Stat(db); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("an empty folder created the store")
	}
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 1, 4)
	if _, err := run(t, "--db", db, "ingest", "--weights", filepath.Join(dir, "fc6.onnx"), imgs); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--model") {
		t.Errorf("--weights fc6.onnx: %v", err)
	}
	out, errOut, err := runBoth(t, "--db", db, "ingest", "--weights", testWeights, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "→ "+db+": 1 image found: 1 embedded") {
		t.Errorf("summary: %q", out)
	}
	for _, l := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(l, "device: ") && strings.Contains(l, "(") {
			t.Errorf("device line with its reason without -v: %q", l)
		}
	}
}

// dups and outliers take -q; an outlier line shows every neighbour that
// went into its score, so the one that sets it is seen (issue 21, polish).
func TestDupsOutliersQuietAndNeighbours(t *testing.T) {
	_, db := importedThirty(t)
	for _, args := range [][]string{{"dups", "-q"}, {"outliers", "-q"}} {
		if _, errOut, err := runBoth(t, append([]string{"--db", db}, args...)...); err != nil || errOut != "" {
			t.Errorf("%v: %v, stderr %q", args, err, errOut)
		}
	}
	out := mustRun(t, "--db", db, "outliers", "-n", "1", "--k", "5", "-q")
	row := strings.Split(out, "\n")[1]
	if n := strings.Count(row, ","); n != 4 {
		t.Errorf("outlier row shows %d neighbours, want the 5 of its score: %q", n+1, row)
	}
}

// JSON conventions (issue 21, polish): lists are [] not null, numbers are
// numbers, the store is "store" in every command's answer.
func TestJSONConventions(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 3, 8)
	db := filepath.Join(dir, "s.db")
	out := mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights, imgs)
	if strings.Contains(out, "null") || !strings.Contains(out, `"bad": []`) || !strings.Contains(out, `"store": "`+db+`"`) {
		t.Errorf("ingest JSON: %s", out)
	}
	mustRun(t, "--db", db, "cluster", "--k", "2", "-q")
	info := mustRun(t, "--db", db, "info", "--json")
	if !strings.Contains(info, `"refine": 20`) || !strings.Contains(info, `"store": "`+db+`"`) {
		t.Errorf("info JSON: %s", info)
	}
	merged := filepath.Join(dir, "m.db")
	if out := mustRun(t, "--db", merged, "merge", "--json", "-q", db); !strings.Contains(out, `"store": "`+merged+`"`) {
		t.Errorf("merge JSON: %s", out)
	}
}
