package cli

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

// TestOutputs reads the text and JSON output of every store command on a
// seeded imported store (no model needed).
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	var ids []string
	for i := range 30 {
		ids = append(ids, itoa(i))
	}
	npzFile := testfix.NPZ(t, dir, "v.npz", ids, 12, 3)

	// import: text summary on stdout, progress lines on the error writer.
	out, errOut, err := runBoth(t, "--db", db, "import", npzFile, "--model-name", "seeded")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^imported 30 vectors of dimension 12 from .*v\.npz \(model "seeded"\); [0-9.]+s\n$`).MatchString(out) {
		t.Fatalf("import text: %q", out)
	}
	if !strings.Contains(errOut, "checking v.npz: 30/30") || !strings.Contains(errOut, "import: 30/30") {
		t.Fatalf("import progress on the error writer: %q", errOut)
	}
	if _, errOut, _ := runBoth(t, "--db", filepath.Join(dir, "q.db"), "import", npzFile, "--model-name", "s", "-q"); errOut != "" {
		t.Fatalf("-q still printed %q", errOut)
	}

	// similar: a ranked table, or JSON.
	out = mustRun(t, "--db", db, "similar", "0", "-k", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != "query: stored id 0" {
		t.Fatalf("similar text does not begin with the query:\n%s", out)
	}
	lines = lines[1:]
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "RANK ID DISTANCE PATH" || !strings.HasPrefix(lines[1], "1 ") {
		t.Fatalf("similar text:\n%s", out)
	}
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 4 || f[0] != itoa(i+1) || !regexp.MustCompile(`^\d\.\d{4}$`).MatchString(f[2]) || !strings.Contains(f[3], "v.npz#") || f[1] == "0" {
			t.Fatalf("similar row %q", l)
		}
	}
	sim := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "0", "-k", "3", "--json"))
	if sim.Query != "0" || sim.QueryID != "0" || len(sim.Results) != 3 {
		t.Fatalf("similar JSON: %+v", sim)
	}
	// Ids of one seeded group (i%3) are each other's nearest neighbours.
	for _, r := range sim.Results {
		if n := atoi(t, r.ID); n%3 != 0 {
			t.Fatalf("neighbour %s of 0 is from another group: %+v", r.ID, sim.Results)
		}
	}

	// similar --check.
	if o := mustRun(t, "--db", db, "similar", "--check", "-k", "5"); !regexp.MustCompile(`^recall@5 of the HNSW index against exact search: 1\.0000 \(30 stored images as queries, ef=\d+, 30 vectors\)\nvectors read per query: mean \d+\.\d, p99 \d+ \(exact search: mean \d+\.\d, p99 \d+\)\nindex tuned: ef \d+ gives recall@10 \d\.\d{3} on 30 sampled images \(target 0\.99\)\n$`).MatchString(o) {
		t.Fatalf("similar --check text: %q", o)
	}
	rec := decodeJSON[app.RecallResult](t, mustRun(t, "--db", db, "similar", "--check", "-k", "5", "--queries", "7", "--json"))
	if rec.Queries != 7 || rec.K != 5 || rec.Recall != 1 || rec.Vectors != 30 {
		t.Fatalf("similar --check JSON: %+v", rec)
	}

	// cluster --report.
	out = mustRun(t, "--db", db, "cluster", "--report", "--k", "2..4")
	if !hasRow(out, "K", "INERTIA", "SILHOUETTE", "SIZES") || !strings.Contains(out, "← suggested") || !strings.HasSuffix(out, "suggested k: 3 (highest silhouette on a sample; ties → smaller k)\n") {
		t.Fatalf("report text:\n%s", out)
	}
	rep := decodeJSON[app.ReportResult](t, mustRun(t, "--db", db, "cluster", "--report", "--k", "2,3", "--json"))
	if rep.Suggested != 3 || len(rep.Rows) != 2 || rep.Rows[1].K != 3 || strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(fmtInts(rep.Rows[1].Sizes), ",", " "), "[]")), " ") != "10 10 10" {
		t.Fatalf("report JSON: %+v", rep)
	}

	// cluster with export and sheets.
	csv := filepath.Join(dir, "s.csv")
	sheets := filepath.Join(dir, "sheets", "run1")
	out, errOut, err = runBoth(t, "--db", db, "cluster", "--k", "3", "--export", csv, "--sheets", sheets)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^k=3 over 30 images: inertia [0-9.e+-]+, \d+ mini-batch steps?, \d+ refine pass(es)?, [0-9.]+s\n`).MatchString(out) ||
		!hasRow(out, "LABEL", "IMAGES") || !hasRow(out, "0", "10") || !hasRow(out, "2", "10") ||
		!strings.Contains(out, "labels written to the store\nwrote "+csv+"\ncontact sheets: "+filepath.Join(sheets, "index.html")+"\n") {
		t.Fatalf("cluster text:\n%s", out)
	}
	// The imported rows have no image files: grey tiles, and a warning.
	if !strings.Contains(errOut, "warning: 30 images could not be read for the sheets") {
		t.Fatalf("cluster warnings: %q", errOut)
	}
	for _, f := range []string{"index.html", "cluster_00.png", "cluster_01.png", "cluster_02.png"} {
		if fi, err := os.Stat(filepath.Join(sheets, f)); err != nil || fi.Size() == 0 {
			t.Fatalf("sheets: %s: %v", f, err)
		}
	}
	b, _ := os.ReadFile(csv)
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	if rows[0] != "ImageID,label" || len(rows) != 31 || !strings.HasPrefix(rows[1], "0,") || !strings.HasPrefix(rows[30], "29,") {
		t.Fatalf("submission:\n%s", b)
	}
	cr := decodeJSON[app.ClusterResult](t, mustRun(t, "--db", db, "cluster", "--k", "3", "--json", "--normalize"))
	if cr.K != 3 || cr.N != 30 || fmtInts(cr.Sizes) != "[10 10 10]" || cr.Export != "" || !cr.Converged {
		t.Fatalf("cluster JSON: %+v", cr)
	}

	// export.
	exp := filepath.Join(dir, "e.npz")
	if o := mustRun(t, "--db", db, "export", "-o", exp); o != "wrote "+exp+": 30 × 12 (ids, vectors, labels)\n" {
		t.Fatalf("export text: %q", o)
	}
	ex := decodeJSON[app.ExportResult](t, mustRun(t, "--db", db, "export", "-o", exp, "--json"))
	if ex.Records != 30 || ex.Dim != 12 || !ex.Labels || ex.Path != exp {
		t.Fatalf("export JSON: %+v", ex)
	}

	// info.
	out = mustRun(t, "--db", db, "info")
	for _, row := range [][]string{{"images", "30"}, {"dimension", "12"}, {"model", "seeded"}, {"preset", "none"}, {"generation", "1"}} {
		if !hasRow(out, row...) {
			t.Errorf("info text has no row %v:\n%s", row, out)
		}
	}
	if !strings.Contains(out, "model kind    imported (model \"seeded\"; no model to embed new images)") || !regexp.MustCompile(`clustering +k=3 seed=42 inertia=`).MatchString(out) {
		t.Fatalf("info text:\n%s", out)
	}

	// check: clean, then a damaged index file.
	out = mustRun(t, "--db", db, "check")
	if !regexp.MustCompile(`^.*v\.db: 30 records, generation 1, schema 3; index: .*v\.db\.hnsw: 30 vectors, up to date; ef \d+ gives recall@10 \d\.\d{3} on 30 sampled images \(target 0\.99\); ok\n$`).MatchString(out) {
		t.Fatalf("check text: %q", out)
	}
	ck := decodeJSON[app.CheckResult](t, mustRun(t, "--db", db, "check", "--json"))
	if !ck.OK || ck.Records != 30 || len(ck.Problems) != 0 || ck.Index == nil || ck.Index.Vectors != 30 {
		t.Fatalf("check JSON: %+v", ck)
	}
	idx, _ := os.ReadFile(db + ".hnsw")
	idx[len(idx)/2] ^= 0x55
	os.WriteFile(db+".hnsw", idx, 0o644)
	out, err = run(t, "--db", db, "check", "--json")
	if !errors.Is(err, ErrCheck) {
		t.Fatalf("check of a damaged index: %v", err)
	}
	ck = decodeJSON[app.CheckResult](t, out)
	if ck.OK || len(ck.Problems) != 1 || ck.Problems[0].Where != "index" || ck.Problems[0].Key != db+".hnsw" {
		t.Fatalf("check JSON, damaged index: %+v", ck)
	}
	out, err = run(t, "--db", db, "check")
	if !errors.Is(err, ErrCheck) || !strings.HasPrefix(out, "index file "+db+".hnsw: damaged: ") || !strings.HasSuffix(out, "; 1 problem\n") {
		t.Fatalf("check text, damaged index: %v\n%s", err, out)
	}
	// Deleted, it is rebuilt by the next query.
	os.Remove(db + ".hnsw")
	mustRun(t, "--db", db, "similar", "3")
	mustRun(t, "--db", db, "check")
}

func fmtInts(a []int) string {
	s := make([]string, len(a))
	for i, v := range a {
		s[i] = itoa(v)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
