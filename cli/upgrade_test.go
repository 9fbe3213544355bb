package cli

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// untarGz unpacks a .tar.gz fixture into dir.
func untarGz(t *testing.T, file, dir string) {
	t.Helper()
	testfix.UntarGz(t, file, dir)
}

// TestPreviousReleaseStore opens a store written by the previous release
// (schema 1; see scripts/make_schema1_store.sh): it answers and reports
// read-only without being changed, is upgraded in place by the first
// writing command without losing records or labels, and clusters.
func TestPreviousReleaseStore(t *testing.T) {
	dir := t.TempDir()
	untarGz(t, "testdata/schema1-store.tar.gz", dir)
	db := filepath.Join(dir, "prev.db")
	before := testfix.Snapshot(t, db)
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Schema != 1 || info.Count != 4 || info.Dim != 128 || info.Cluster == nil || info.Cluster.K != 2 || info.ModelSpec == nil ||
		info.ModelSpec.Kind != store.ModelVGG16 || info.ModelSpec.SHA256 != "90f50dcb53db899c" || info.ModelSpec.InputSize != 448 || info.ModelSpec.Precision != "fp32" {
		t.Fatalf("info of the schema-1 store: %+v spec %+v", info, info.ModelSpec)
	}
	if o := mustRun(t, "--db", db, "info"); !hasRow(o, "schema", "1", "(upgraded", "to", strconv.Itoa(store.SchemaVersion), "when", "next", "opened", "for", "writing)") {
		t.Fatalf("info text:\n%s", o)
	}
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "--json", "-k", "3", "2"))
	if out.QueryID != "2" || len(out.Results) != 3 {
		t.Fatalf("similar on the schema-1 store: %+v", out)
	}
	mustRun(t, "--db", db, "check")
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db)) // readers leave it as it was
	labels := storedLabels(t, db)

	// A writing command upgrades it, keeping everything.
	res := decodeJSON[app.ClusterResult](t, mustRun(t, "--db", db, "cluster", "--k", "2", "--json"))
	if res.N != 4 {
		t.Fatalf("cluster: %+v", res)
	}
	info = decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Schema != store.SchemaVersion || info.Count != 4 || info.ModelSpec.SHA256 != "90f50dcb53db899c" {
		t.Fatalf("after the upgrade: %+v", info)
	}
	if after := storedLabels(t, db); strings.Join(after, ",") != strings.Join(labels, ",") {
		t.Fatalf("labels changed by the upgrade and the same clustering: %v → %v", labels, after)
	}
	mustRun(t, "--db", db, "check")
}

func storedLabels(t *testing.T, db string) []string {
	t.Helper()
	s, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids, _ := s.IDs()
	var out []string
	for _, id := range ids {
		r, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id+"="+itoa(int(r.Meta.Label)))
	}
	return out
}

// TestPreviousReleaseStoreNewImage: a new image is embedded with the model
// the schema-1 store records (its weights hash), found nowhere in an empty
// cache: a clear error naming what is needed; the wrong weights are refused
// before anything is built; the right ones answer.
func TestPreviousReleaseStoreNewImage(t *testing.T) {
	testfix.NeedRuntime(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no cached model
	t.Setenv("VECIMG_WEIGHTS", "")
	dir := t.TempDir()
	untarGz(t, "testdata/schema1-store.tar.gz", dir)
	db := filepath.Join(dir, "prev.db")
	q := filepath.Join(dir, "q", "copy-of-3.png")
	testfix.CopyFile(t, "testdata/images/3.png", q)
	_, err := run(t, "--db", db, "similar", q)
	if !errors.Is(err, app.ErrNoModel) || !strings.Contains(err.Error(), "90f50dcb53db899c") || !strings.Contains(err.Error(), "--weights") {
		t.Fatalf("no weights: %v", err)
	}
	_, err = run(t, "--db", db, "similar", q, "--weights", testLegacyWeights)
	if !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "vgg16_w32_legacy.pth has sha256") {
		t.Fatalf("other weights: %v", err)
	}
	out := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", q, "--weights", testWeights, "--json", "-k", "1"))
	if out.Results[0].ID != "3" || out.Results[0].Distance > 1e-4 {
		t.Fatalf("new image with the store's weights: %+v", out)
	}
}
