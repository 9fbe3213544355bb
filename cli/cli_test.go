package cli

import (
	"archive/zip"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

func TestEndToEnd(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "test")
	for _, n := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		testfix.CopyFile(t, filepath.Join("testdata", "images", n), filepath.Join(imgs, n))
	}
	db := filepath.Join(dir, "v.db")

	st := decodeJSON[embed.IngestStats](t, mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights, imgs))
	if st.Stored != 4 || len(st.Bad) != 0 {
		t.Fatalf("first ingest: %+v", st)
	}
	st = decodeJSON[embed.IngestStats](t, mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights, imgs))
	if st.Present != 4 || st.Stored != 0 {
		t.Fatalf("second ingest should skip everything: %+v", st)
	}

	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Count != 4 || info.Dim != 128 || info.Preset != "blitz" || info.Index == nil || !info.Index.Current {
		t.Fatalf("info: %+v", info)
	}

	// The same stored image through id, file name and path gives the same answer.
	var first app.SimilarResult
	abs, _ := filepath.Abs(filepath.Join(imgs, "1.png"))
	for i, q := range []string{"1", "1.png", abs} {
		out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "3", q))
		if out.QueryID != "1" || len(out.Results) != 3 {
			t.Fatalf("similar %s: %+v", q, out)
		}
		for j, r := range out.Results {
			if r.ID == "1" {
				t.Fatalf("similar %s returned the query itself", q)
			}
			if j > 0 && r.Distance < out.Results[j-1].Distance {
				t.Fatalf("results not sorted: %+v", out.Results)
			}
			if r.Path == "" {
				t.Fatalf("result without path: %+v", r)
			}
		}
		if i == 0 {
			first = out
		} else if out.Results[0] != first.Results[0] {
			t.Fatalf("query %s answered %+v, id query %+v", q, out.Results, first.Results)
		}
	}
	// A new file (not in the store) is embedded with the store's model: a
	// copy of 2.png under another folder finds 2 at distance ~0.
	outside := filepath.Join(dir, "elsewhere", "query.png")
	testfix.CopyFile(t, filepath.Join(imgs, "2.png"), outside)
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "2", outside))
	if out.QueryID != "" || out.Results[0].ID != "2" || out.Results[0].Distance > 1e-5 {
		t.Fatalf("new-file query: %+v", out)
	}
	exact := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "--exact", "-k", "3", "1"))
	if exact.Results[0].ID != first.Results[0].ID {
		t.Fatalf("exact %+v vs index %+v", exact.Results, first.Results)
	}
	if _, err := run(t, "--db", db, "similar", "nope.jpg"); err == nil || !strings.Contains(err.Error(), `tried id "nope.jpg", id "nope"`) {
		t.Fatalf("unknown query error: %v", err)
	}

	// Cluster, export with and without a template.
	csvPath := filepath.Join(dir, "sub.csv")
	mustRun(t, "--db", db, "cluster", "--k", "2", "--export", csvPath)
	b, _ := os.ReadFile(csvPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "ImageID,label" || len(lines) != 5 || !strings.HasPrefix(lines[1], "1,") || !strings.HasPrefix(lines[4], "4,") {
		t.Fatalf("submission:\n%s", b)
	}
	tpl := filepath.Join(dir, "sample.csv")
	os.WriteFile(tpl, []byte("ImageID,label\n3,0\n1,0\n"), 0o644)
	mustRun(t, "--db", db, "cluster", "--k", "2", "--export", csvPath, "--template", tpl)
	b, _ = os.ReadFile(csvPath)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "3,") {
		t.Fatalf("template order not kept:\n%s", b)
	}
	os.WriteFile(tpl, []byte("ImageID,label\n3,0\n99,0\n"), 0o644)
	if _, err := run(t, "--db", db, "cluster", "--k", "2", "--export", csvPath, "--template", tpl); err == nil || !strings.Contains(err.Error(), "99") {
		t.Fatalf("missing template id not reported: %v", err)
	}
	info = decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Cluster == nil || info.Cluster.K != 2 || info.Cluster.Stale {
		t.Fatalf("info after cluster: %+v", info.Cluster)
	}

	npz := filepath.Join(dir, "v.npz")
	mustRun(t, "--db", db, "export", "--out", npz)
	zr, err := zip.OpenReader(npz)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	sort.Strings(names)
	if strings.Join(names, ",") != "ids.npy,labels.npy,vectors.npy" {
		t.Fatalf("npz entries %v", names)
	}

	// Another preset into the same store is refused, naming the field, and
	// changes nothing; so are other weights, before any graph is built.
	before := testfix.Snapshot(t, db, db+".hnsw")
	if _, err := run(t, "--db", db, "ingest", "--weights", testWeights, "--preset", "imagenet", imgs); !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "preset") {
		t.Fatalf("preset mismatch: %v", err)
	}
	if _, err := run(t, "--db", db, "ingest", "--weights", testLegacyWeights, imgs); !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "vgg16_w32_zip.pth") {
		t.Fatalf("weights mismatch: %v", err)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db, db+".hnsw"))
	// Flags after the folder, --db after the command name.
	st = decodeJSON[embed.IngestStats](t, mustRun(t, "ingest", imgs, "--json", "--db", db))
	if st.Present != 4 {
		t.Fatalf("ingest DIR --json --db: %+v", st)
	}
	out2, errOut, err := runBoth(t, "ingest", imgs, "--db", db)
	if err != nil || !regexp.MustCompile(`^.*test → .*v\.db: 4 images found: 0 embedded, 4 already stored, 0 bad; [0-9.]+s\n$`).MatchString(out2) ||
		!strings.Contains(errOut, "model: VGG16 fc6 from vgg16_w32_zip.pth") || !strings.Contains(errOut, "device: cpu") {
		t.Fatalf("ingest text: %v\n%s\nstderr:\n%s", err, out2, errOut)
	}
}

func TestBadFiles(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "in")
	good := map[string]string{ // test file → name in the folder
		"testdata/images/1.png":           "a/1.png",
		"testdata/pixels/gray.png":        "gray.png",
		"testdata/pixels/cmyk.jpg":        "cmyk.jpg",
		"testdata/pixels/palette.png":     "palette.png",
		"testdata/pixels/gray16.png":      "gray16.png",
		"testdata/pixels/rgba16.png":      "rgba16.png",
		"testdata/pixels/rgba.png":        "rgba.png",
		"testdata/pixels/anim.gif":        "anim.gif",
		"testdata/pixels/progressive.jpg": "progressive.jpg",
	}
	for src, dst := range good {
		testfix.CopyFile(t, src, filepath.Join(imgs, dst))
	}
	bad := map[string]string{ // name → expected words in its reason
		"empty.jpg":     "empty",
		"truncated.jpg": "truncated",
		"text.jpg":      "not an image",
		"bomb.jpg":      "limit",
	}
	for name := range bad {
		testfix.CopyFile(t, filepath.Join("testdata", "bad", name), filepath.Join(imgs, "bad", name))
	}
	testfix.CopyFile(t, "testdata/bad/bomb.png", filepath.Join(imgs, "bad", "bomb-png.png"))
	bad["bomb-png.png"] = "limit"
	os.Symlink(filepath.Join(dir, "nowhere.jpg"), filepath.Join(imgs, "bad", "dangling.jpg"))
	bad["dangling.jpg"] = "broken symbolic link"
	os.Symlink(imgs, filepath.Join(imgs, "a", "loop"))
	bad["loop"] = "directory loop"
	testfix.CopyFile(t, "testdata/images/2.png", filepath.Join(imgs, "gray.gif")) // same id as gray.png
	bad["gray.png"] = "duplicate id"                                              // gray.gif comes first in walk order
	delete(good, "testdata/pixels/gray.png")
	good["testdata/images/2.png"] = "gray.gif"

	db := filepath.Join(dir, "v.db")
	out, err := run(t, "--db", db, "ingest", "--json", "--max-pixels", "20000000", "--weights", testWeights, imgs)
	if err != nil {
		t.Fatal(err, out)
	}
	st := decodeJSON[embed.IngestStats](t, out)
	if st.Stored != len(good) {
		t.Errorf("stored %d, want the %d good files; bad: %v", st.Stored, len(good), st.Bad)
	}
	got := map[string]string{}
	for _, b := range st.Bad {
		got[filepath.Base(b.Path)] = b.Reason
	}
	for name, words := range bad {
		if !strings.Contains(strings.ToLower(got[name]), words) {
			t.Errorf("%s: reason %q, want it to mention %q", name, got[name], words)
		}
	}
	if len(st.Bad) != len(bad) {
		t.Errorf("%d bad files reported, want %d: %v", len(st.Bad), len(bad), st.Bad)
	}
	// --strict: same listing, exit status for bad files; nothing stored twice.
	_, err = run(t, "--db", db, "ingest", "--strict", "--json", "--weights", testWeights, imgs)
	if !errors.Is(err, ErrBadFiles) {
		t.Fatalf("--strict: %v, want ErrBadFiles", err)
	}
	s, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Count(); n != len(good) {
		t.Fatalf("store holds %d records, want %d", n, len(good))
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestBusyStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A holder that does not answer queries: info waits (saying so), then
	// reports who holds the store.
	_, errOut, err := runBoth(t, "--db", db, "info")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "in use by another vecimg process") || !strings.Contains(errOut, "waiting for it") {
		t.Fatalf("err = %v, stderr %q; want a wait, then ErrBusy with a clear message", err, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"ingest"},
		{"ingest", "a", "b"},
		{"similar", "1.jpg", "2.jpg", "-k", "3"},
		{"similar", "-k", "0", "x"},
		{"cluster", "--k", "zero"},
		{"--nope"},
	} {
		if _, err := run(t, args...); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: err = %v, want ErrUsage", args, err)
		}
	}
	if _, err := run(t, "--db", filepath.Join(t.TempDir(), "none.db"), "info"); err == nil || !strings.Contains(err.Error(), "vecimg ingest") {
		t.Fatalf("missing store: %v", err)
	}
}
