package app

import (
	"cmp"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// openApp opens db as the CLI does (one operation per App, the store
// opened for writing only when an operation writes) and closes it when the
// test ends.
func openApp(t *testing.T, db string) *App {
	t.Helper()
	a, err := Open(context.Background(), Config{DB: db, LateWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func memberIDs(g DupGroup) []string {
	var s []string
	for _, m := range g.Members {
		s = append(s, m.ID)
	}
	return s
}

// The groups of testfix.DupStore: the keep rules, the group order, the
// threshold and where each threshold came from.
func TestDupsGroups(t *testing.T) {
	db, _ := testfix.DupStore(t)
	a := openApp(t, db)
	ctx := context.Background()
	res, err := a.Dups(ctx, DupsOptions{Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 14 || res.Threshold != 0.05 || res.Hashed != 0 || res.Keep != "largest" || len(res.Groups) != 3 {
		t.Fatalf("dups: %d images (%d hashed), threshold %v, keep %q, %d groups: %+v", res.Images, res.Hashed, res.Threshold, res.Keep, len(res.Groups), res.Groups)
	}
	if src := res.Thresholds.Source; src["vector"] != FromGiven || src["phash"] != FromDefault || src["dhash"] != FromDefault {
		t.Errorf("threshold sources %v, want vector given, hashes default", src)
	}
	// largest first; a2 is the largest of the a group, c is older than its
	// copy, b1 and b2 have one size and b1 was stored first
	want := []struct {
		kind string
		ids  []string
	}{{"near", []string{"a2", "a1", "a3"}}, {"identical", []string{"c", "c-copy"}}, {"near", []string{"b1", "b2"}}}
	for i, g := range res.Groups {
		ids := memberIDs(g)
		if g.Group != i+1 || g.Kind != want[i].kind || g.Keep != want[i].ids[0] || !slices.Equal(ids, want[i].ids) {
			t.Errorf("group %d = %+v, want %s %v keeping the first", i+1, g, want[i].kind, want[i].ids)
		}
		for j, m := range g.Members {
			near := g.Kind == "near" && j > 0
			if m.Keep != (j == 0) || near != (m.Distance > 0) || m.Distance > 0.05 || !strings.HasSuffix(m.Path, ".png") || (g.Kind == "near") != (m.PHash == -1) {
				t.Errorf("group %d member %d = %+v: want only the first kept, near members in (0, 0.05], each with its path, hashes only in the identical group", i+1, j, m)
			}
		}
	}
	if by := res.Groups[0].Members[1].MatchedBy; !slices.Equal(by, []string{"vector"}) {
		t.Errorf("near member matched by %v, want [vector] (no hashes)", by)
	}
	if by := res.Groups[1].Members[1].MatchedBy; !slices.Equal(by, []string{"sha256"}) {
		t.Errorf("identical member matched by %v, want [sha256]", by)
	}

	// other keep rules choose other members of the same groups
	for keep, want := range map[string][]string{"oldest": {"a1", "c", "b1"}, "newest": {"a3", "c-copy", "b2"}} {
		res, err := a.Dups(ctx, DupsOptions{Threshold: 0.05, Keep: keep})
		if err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, g := range res.Groups {
			kept = append(kept, g.Keep)
		}
		slices.Sort(kept)
		slices.Sort(want)
		if !slices.Equal(kept, want) {
			t.Errorf("keep %s: kept %v, want %v", keep, kept, want)
		}
	}

	// a threshold below every near pair's distance leaves the identical group
	res, err = a.Dups(ctx, DupsOptions{Threshold: 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || res.Groups[0].Kind != "identical" {
		t.Errorf("threshold 1e-7: %+v, want only the identical group", res.Groups)
	}
}

func TestDupsCSVAndSheets(t *testing.T) {
	db, _ := testfix.DupStore(t)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "dups.csv")
	sheets := filepath.Join(dir, "sheets")
	a := openApp(t, db)
	ctx := context.Background()
	res, err := a.Dups(ctx, DupsOptions{Threshold: 0.05, CSV: csvPath, Sheets: sheets})
	if err != nil {
		t.Fatal(err)
	}
	testfix.CheckDupsCSV(t, csvPath)
	if res.CSV != csvPath || res.Sheets == nil || res.Sheets.Files != 3 || res.Sheets.Dir != sheets || len(res.Sheets.Unreadable) != 0 {
		t.Fatalf("csv %q, sheets %+v", res.CSV, res.Sheets)
	}
	pngs, _ := filepath.Glob(filepath.Join(sheets, "group_*.png"))
	html, err := os.ReadFile(res.Sheets.Index)
	if len(pngs) != 3 || err != nil || !strings.Contains(string(html), "group_1.png") || !strings.Contains(string(html), "keep a2") {
		t.Errorf("sheets dir: %v, index.html %v:\n%s", pngs, err, html)
	}

	// refused before any work: ErrInvalid, nothing written
	a.Close()
	before := testfix.Snapshot(t, db, dir)
	a = openApp(t, db)
	for name, o := range map[string]DupsOptions{
		"threshold 3":       {Threshold: 3},
		"threshold -1":      {Threshold: -1},
		"csv in no folder":  {CSV: filepath.Join(dir, "no", "such", "x.csv")},
		"sheets on a file":  {Sheets: csvPath},
		"negative k":        {K: -1},
		"negative sheets":   {SheetsMax: -2},
		"unknown keep rule": {Keep: "prettiest"},
		"dry run alone":     {DryRun: true},
		"move to a file":    {MoveTo: csvPath},
	} {
		if _, err := a.Dups(ctx, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	a.Close()
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, dir))
}

func TestOutliers(t *testing.T) {
	db, _ := testfix.DupStore(t)
	a := openApp(t, db)
	ctx := context.Background()
	res, err := a.Outliers(ctx, OutliersOptions{N: 3, K: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.K != 2 || res.N != 3 || res.Images != 14 || len(res.Outliers) != 3 || res.Sheets != nil {
		t.Fatalf("outliers: %+v", res)
	}
	// the scores, checked against a brute-force cosine distance to each
	// image's 2nd nearest other image
	want := bruteOutliers(t, a, 2)
	for i, o := range res.Outliers {
		if o.Rank != i+1 || o.ID != want[i].id || math.Abs(float64(o.Score-want[i].score)) > 1e-5 ||
			len(o.Neighbours) != 2 || o.Score != o.Neighbours[1].Distance || !strings.HasSuffix(o.Path, ".png") {
			t.Errorf("outlier %d = %+v, want %s scoring %v", i+1, o, want[i].id, want[i].score)
		}
	}
	// every member of a duplicate group has a near neighbour; with k = 2 a
	// member of the a group (three) scores low, those of pairs score high
	for _, o := range res.Outliers {
		if strings.HasPrefix(o.ID, "a") {
			t.Errorf("%s, of a group of three, ranks as outlier %d", o.ID, o.Rank)
		}
	}
	def, err := a.Outliers(ctx, OutliersOptions{})
	if err != nil || def.N == 0 || def.K == 0 {
		t.Errorf("defaults: n %d, k %d, %v", def.N, def.K, err)
	}

	sheets := filepath.Join(t.TempDir(), "out")
	res, err = a.Outliers(ctx, OutliersOptions{N: 2, Sheets: sheets})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sheets == nil || res.Sheets.Files != 3 {
		t.Errorf("sheets: %+v (want outliers.png + one per outlier)", res.Sheets)
	}
	if _, err := os.Stat(filepath.Join(sheets, "outliers.png")); err != nil {
		t.Error(err)
	}
	if _, err := a.Outliers(ctx, OutliersOptions{K: 14}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "holds 14 images") {
		t.Errorf("k 14 on 14 images: %v", err)
	}
	if _, err := a.Outliers(ctx, OutliersOptions{N: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("n -1: %v", err)
	}
}

func TestRemove(t *testing.T) {
	db, _ := testfix.DupStore(t)
	ctx := context.Background()
	a := openApp(t, db)
	// build the index first, so that Remove has one to update
	if _, err := a.Similar(ctx, SimilarOptions{Query: "a1", K: 2}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	before := testfix.Snapshot(t, db, db+".hnsw")
	a = openApp(t, db)
	_, err := a.Remove(ctx, RemoveOptions{IDs: []string{"a3", "nosuch", "gone"}})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nosuch"`) || !strings.Contains(err.Error(), `"gone"`) ||
		!strings.Contains(err.Error(), "nothing deleted") {
		t.Fatalf("remove with unknown ids: %v", err)
	}
	for name, ids := range map[string][]string{"no ids": nil, "malformed": {"a3", "x\x00y"}} {
		if _, err := a.Remove(ctx, RemoveOptions{IDs: ids}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	a.Close()
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, db+".hnsw"))

	a = openApp(t, db)
	res, err := a.Remove(ctx, RemoveOptions{IDs: []string{"c-copy", "a3", "a3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 || res.Images != 12 || res.Removed[0].ID != "a3" || res.Removed[1].ID != "c-copy" || !strings.HasSuffix(res.Removed[0].Path, ".png") {
		t.Fatalf("remove: %+v", res)
	}
	info, err := a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Count != 12 || info.Index == nil || !info.Index.Current || info.Index.Vectors != 12 {
		t.Errorf("after remove: count %d, index %+v (want 12 and an up-to-date index)", info.Count, info.Index)
	}
	sim, err := a.Similar(ctx, SimilarOptions{Query: "a1", K: 11})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sim.Results {
		if r.ID == "a3" || r.ID == "c-copy" {
			t.Errorf("similar still returns the removed %s", r.ID)
		}
	}
	d, err := a.Dups(ctx, DupsOptions{Threshold: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Groups) != 2 || len(d.Groups[0].Members) != 2 {
		t.Errorf("dups after remove: %+v, want {a1, a2} and {b1, b2}", d.Groups)
	}
	for _, f := range []string{"2.png", "6.png"} { // a3's and c-copy's files stay
		if _, err := os.Stat(filepath.Join(filepath.Dir(db), "imgs", f)); err != nil {
			t.Errorf("remove touched an image file: %v", err)
		}
	}
}

type scored struct {
	id    string
	score float32
}

// bruteOutliers scores every stored image by the cosine distance to its
// k-th nearest other image, computed pair by pair, highest first.
func bruteOutliers(t *testing.T, a *App, k int) []scored {
	t.Helper()
	st, err := a.Store()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var vs [][]float64
	err = st.Scan(context.Background(), func(r *store.Record) error {
		v := make([]float64, len(r.Vector))
		var n float64
		for i, x := range r.Vector {
			v[i] = float64(x)
			n += v[i] * v[i]
		}
		for i := range v {
			v[i] /= math.Sqrt(n)
		}
		ids, vs = append(ids, r.ID), append(vs, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]scored, len(ids))
	for i := range ids {
		var d []float64
		for j := range ids {
			if j != i {
				var dot float64
				for c := range vs[i] {
					dot += vs[i][c] * vs[j][c]
				}
				d = append(d, 1-dot)
			}
		}
		slices.Sort(d)
		out[i] = scored{ids[i], float32(d[k-1])}
	}
	slices.SortStableFunc(out, func(x, y scored) int { return cmp.Compare(y.score, x.score) })
	return out
}

// dups --rehash writes hashes, so it holds the process's write lock as
// every writing operation does (a scan elsewhere in the process may be
// releasing value-log pages on the promise that nothing writes).
func TestDupsRehashHoldsWriteLock(t *testing.T) {
	db, _ := testfix.DupStore(t)
	a := openApp(t, db)
	calls, held := 0, false
	rehashHook = func() {
		calls++
		held = !a.writeMu.TryLock()
		if !held {
			a.writeMu.Unlock()
		}
	}
	t.Cleanup(func() { rehashHook = nil })
	res, err := a.Dups(context.Background(), DupsOptions{Threshold: 0.05, Rehash: true})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !held {
		t.Fatalf("rehash ran %d times, write lock held: %v", calls, held)
	}
	if res.Rehash == nil || res.Rehash.Missing != 14 {
		t.Fatalf("rehash result %+v, want all 14 records missing hashes", res.Rehash)
	}
	if !a.writeMu.TryLock() {
		t.Fatal("the write lock is still held after dups")
	}
	a.writeMu.Unlock()
}
