package cli

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

// makeDupStore writes the store of testfix.DupStore (14 images with known
// duplicate groups) and returns it and its images' folder.
func makeDupStore(t *testing.T) (db, imgs string) {
	t.Helper()
	return testfix.DupStore(t)
}

func TestDups(t *testing.T) {
	db, _ := makeDupStore(t)
	res := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--threshold", "0.05"))
	if res.Images != 14 || res.Threshold != 0.05 || len(res.Groups) != 3 {
		t.Fatalf("dups: %d images, threshold %v, %d groups: %+v", res.Images, res.Threshold, len(res.Groups), res.Groups)
	}
	g := res.Groups
	ids := func(g app.DupGroup) []string {
		var s []string
		for _, m := range g.Members {
			s = append(s, m.ID)
		}
		return s
	}
	if g[0].Kind != "near" || g[0].Keep != "a2" || len(g[0].Members) != 3 || !g[0].Members[0].Keep || g[0].Members[0].ID != "a2" {
		t.Errorf("group 1 = %+v, want the a group keeping a2 (largest)", g[0])
	}
	if g[1].Kind != "identical" || g[1].Keep != "c" || !slices.Equal(ids(g[1]), []string{"c", "c-copy"}) {
		t.Errorf("group 2 = %+v, want identical c, c-copy keeping c (older)", g[1])
	}
	if g[2].Kind != "near" || g[2].Keep != "b1" || !slices.Equal(ids(g[2]), []string{"b1", "b2"}) {
		t.Errorf("group 3 = %+v, want b1 (same size, stored first) and b2", g[2])
	}
	for _, m := range g[0].Members[1:] {
		if m.Distance <= 0 || m.Distance > 0.05 || m.Keep || !strings.HasSuffix(m.Path, ".png") {
			t.Errorf("member %+v: want a distance in (0, 0.05], not kept, with its path", m)
		}
	}
	for i, x := range g {
		if x.Group != i+1 {
			t.Errorf("group numbers: %d at position %d", x.Group, i)
		}
	}

	// the text output: one line per member, the kept one marked
	out := mustRun(t, "--db", db, "dups", "--threshold", "0.05")
	for _, want := range []string{"group 1 (near-duplicates): keep a2; 2 copies", "group 2 (identical files): keep c; 1 copy",
		"3 groups (1 identical, 2 near) among 14 images; 4 images could be removed (kept: largest)",
		"matched by cosine distance ≤ 0.05 or pHash ≤ 8 or dHash ≤ 5; thresholds: vector given, phash default, dhash default",
		"no image has perceptual hashes (imported vectors, or a store made before schema 3): matched on vectors alone"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if !hasRow(out, "keep", "a2", "400x300", "0.0000", "-", "-", g[0].Members[0].Path) {
		t.Errorf("no row for the kept a2:\n%s", out)
	}

	// a threshold below every near pair's distance leaves the identical group
	res = decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--threshold", "1e-7"))
	if len(res.Groups) != 1 || res.Groups[0].Kind != "identical" {
		t.Errorf("threshold 1e-7: %+v, want only the identical group", res.Groups)
	}
}

func TestDupsCSVAndSheets(t *testing.T) {
	db, _ := makeDupStore(t)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "dups.csv")
	sheets := filepath.Join(dir, "sheets")
	res := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--threshold", "0.05", "--csv", csvPath, "--sheets", sheets))
	testfix.CheckDupsCSV(t, csvPath)
	if res.Sheets == nil || res.Sheets.Files != 3 {
		t.Fatalf("sheets: %+v", res.Sheets)
	}
	pngs, _ := filepath.Glob(filepath.Join(sheets, "group_*.png"))
	html, err := os.ReadFile(filepath.Join(sheets, "index.html"))
	if len(pngs) != 3 || err != nil || !strings.Contains(string(html), "group_1.png") || !strings.Contains(string(html), "keep a2") {
		t.Errorf("sheets dir: %v, index.html %v:\n%s", pngs, err, html)
	}

	// refused before any work: nothing written
	before := testfix.Snapshot(t, db, dir)
	for _, args := range [][]string{
		{"dups", "--threshold", "3"},
		{"dups", "--threshold", "0"},
		{"dups", "--csv", filepath.Join(dir, "no", "such", "x.csv")},
		{"dups", "--sheets", csvPath},
		{"dups", "--k", "0"},
		{"dups", "extra"},
	} {
		if _, err := run(t, append([]string{"--db", db}, args...)...); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, dir))
}

func TestOutliers(t *testing.T) {
	db, _ := makeDupStore(t)
	res := decodeJSON[app.OutliersResult](t, mustRun(t, "--db", db, "outliers", "--json", "-n", "3", "--k", "2"))
	if res.K != 2 || res.N != 3 || res.Images != 14 || len(res.Outliers) != 3 {
		t.Fatalf("outliers: %+v", res)
	}
	for i, o := range res.Outliers {
		if o.Rank != i+1 || len(o.Neighbours) != 2 || o.Score != o.Neighbours[1].Distance || (i > 0 && o.Score > res.Outliers[i-1].Score) {
			t.Errorf("outlier %d: %+v", i, o)
		}
		if o.ID == "a1" || o.ID == "c" || o.ID == "b1" {
			t.Errorf("%s has close company but ranks as outlier %d", o.ID, o.Rank)
		}
	}
	// a member of the a group scores its 2nd neighbour (the other a): far
	// below any outlier's score
	if s := res.Outliers[2].Score; s < 0.2 || math.IsNaN(float64(s)) {
		t.Errorf("third outlier score %v: random 16-d vectors should be farther", s)
	}
	out := mustRun(t, "--db", db, "outliers", "-n", "2", "--k", "2")
	if !strings.Contains(out, "score = cosine distance to the 2nd nearest other image; 2 highest of 14 images") ||
		!strings.Contains(out, res.Outliers[0].ID) {
		t.Errorf("text output:\n%s", out)
	}
	sheets := filepath.Join(t.TempDir(), "out")
	res = decodeJSON[app.OutliersResult](t, mustRun(t, "--db", db, "outliers", "--json", "-n", "2", "--sheets", sheets))
	if res.Sheets == nil || res.Sheets.Files != 3 {
		t.Errorf("sheets: %+v (want outliers.png + one per outlier)", res.Sheets)
	}
	if _, err := os.Stat(filepath.Join(sheets, "outliers.png")); err != nil {
		t.Error(err)
	}
	if _, err := run(t, "--db", db, "outliers", "--k", "14"); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "holds 14 images") {
		t.Errorf("k 14 on 14 images: %v", err)
	}
	if _, err := run(t, "--db", db, "outliers", "-n", "0"); !errors.Is(err, ErrUsage) {
		t.Errorf("-n 0: %v", err)
	}
}

func TestRm(t *testing.T) {
	db, _ := makeDupStore(t)
	// build the index first, so that rm has one to update
	mustRun(t, "--db", db, "similar", "a1", "-k", "2")
	before := testfix.Snapshot(t, db, db+".hnsw")
	_, err := run(t, "--db", db, "rm", "a3", "nosuch", "gone")
	if !errors.Is(err, app.ErrNotFound) || !strings.Contains(err.Error(), `"nosuch"`) || !strings.Contains(err.Error(), `"gone"`) ||
		!strings.Contains(err.Error(), "nothing deleted") {
		t.Fatalf("rm with unknown ids: %v", err)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, db+".hnsw"))
	if _, err := run(t, "--db", db, "rm"); !errors.Is(err, ErrUsage) {
		t.Errorf("rm without ids: %v", err)
	}

	res := decodeJSON[app.RemoveResult](t, mustRun(t, "--db", db, "rm", "--json", "a3", "c-copy", "a3"))
	if len(res.Removed) != 2 || res.Images != 12 || res.Removed[0].ID != "a3" || !strings.HasSuffix(res.Removed[0].Path, ".png") {
		t.Fatalf("rm: %+v", res)
	}
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Count != 12 || info.Index == nil || !info.Index.Current || info.Index.Vectors != 12 {
		t.Errorf("after rm: count %d, index %+v (want 12 and an up-to-date index)", info.Count, info.Index)
	}
	sim := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "a1", "-k", "11"))
	for _, r := range sim.Results {
		if r.ID == "a3" || r.ID == "c-copy" {
			t.Errorf("similar still returns the removed %s", r.ID)
		}
	}
	d := decodeJSON[app.DupsResult](t, mustRun(t, "--db", db, "dups", "--json", "--threshold", "0.05"))
	if len(d.Groups) != 2 || len(d.Groups[0].Members) != 2 {
		t.Errorf("dups after rm: %+v, want {a1, a2} and {b1, b2}", d.Groups)
	}
	if out := mustRun(t, "--db", db, "rm", "b2"); !strings.Contains(out, "removed b2") || !strings.Contains(out, "1 record removed, 11 left") {
		t.Errorf("rm text output:\n%s", out)
	}
}
