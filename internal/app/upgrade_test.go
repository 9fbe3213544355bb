package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// schema1Store unpacks testdata/schema1-store.tar.gz, a store written by
// the previous release (schema 1; scripts/make_schema1_store.sh): four
// images embedded by the tiny VGG16 test weights (128-d), clustered with
// k = 2. It returns the store's path.
func schema1Store(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testfix.UntarGz(t, filepath.Join("testdata", "schema1-store.tar.gz"), dir)
	return filepath.Join(dir, "prev.db")
}

// labelsOf lists id=label for every record of the App's store.
func labelsOf(t *testing.T, a *App) []string {
	t.Helper()
	m, err := a.Labels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for id, l := range m {
		out = append(out, id+"="+strconv.Itoa(int(l)))
	}
	slices.Sort(out)
	return out
}

// TestPreviousReleaseStore: a schema-1 store answers queries through a
// read-only App without being changed, is upgraded in place by the first
// writing operation without losing records or labels, and checks clean.
func TestPreviousReleaseStore(t *testing.T) {
	db := schema1Store(t)
	ctx := context.Background()
	before := testfix.Snapshot(t, db)
	r, err := Open(ctx, Config{DB: db, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	info, err := r.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Schema != 1 || info.Count != 4 || info.Dim != 128 || info.Cluster == nil || info.Cluster.K != 2 || info.ModelSpec == nil ||
		info.ModelSpec.Kind != store.ModelVGG16 || info.ModelSpec.SHA256 != "90f50dcb53db899c" || info.ModelSpec.InputSize != 448 || info.ModelSpec.Precision != "fp32" {
		t.Fatalf("info of the schema-1 store: %+v spec %+v", info, info.ModelSpec)
	}
	sim, err := r.Similar(ctx, SimilarOptions{Query: "2", K: 3, Exact: true})
	if err != nil || sim.QueryID != "2" || len(sim.Results) != 3 {
		t.Fatalf("similar on the schema-1 store: %+v %v", sim, err)
	}
	if _, err := r.Check(ctx, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := labelsOf(t, r)
	if len(labels) != 4 {
		t.Fatalf("labels %v", labels)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, db)) // readers leave it as it was

	// A writing operation upgrades it, keeping everything.
	a := openApp(t, db)
	res, err := a.Cluster(ctx, ClusterOptions{Params: types.ClusterParams{K: 2}})
	if err != nil || res.N != 4 {
		t.Fatalf("cluster: %+v %v", res, err)
	}
	info, err = a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Schema != store.SchemaVersion || info.Count != 4 || info.ModelSpec == nil || info.ModelSpec.SHA256 != "90f50dcb53db899c" {
		t.Fatalf("after the upgrade: %+v", info)
	}
	if after := labelsOf(t, a); !slices.Equal(after, labels) {
		t.Fatalf("labels changed by the upgrade and the same clustering: %v → %v", labels, after)
	}
	if _, err := a.Check(ctx, CheckOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPreviousReleaseStoreModel: a new image needs the model the schema-1
// store records (by its weights' hash): found nowhere in an empty cache it
// is ErrNoModel naming the hash, and weights of another hash are refused
// before anything is built. Neither needs ONNX Runtime.
func TestPreviousReleaseStoreModel(t *testing.T) {
	isolateModels(t)
	db := schema1Store(t)
	ctx := context.Background()
	imgs := t.TempDir()
	testfix.NoisePNGs(t, imgs, 1, 9)
	q := filepath.Join(imgs, "0.png")
	a := openApp(t, db)
	_, err := a.Similar(ctx, SimilarOptions{Query: q, K: 1, Model: ModelOptions{NoDownload: true}})
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "90f50dcb53db899c") || !strings.Contains(err.Error(), q) {
		t.Fatalf("no weights: %v", err)
	}
	other := filepath.Join(imgs, "other.pth")
	if err := os.WriteFile(other, []byte("not the store's weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = a.Similar(ctx, SimilarOptions{Query: q, K: 1, Model: ModelOptions{Weights: other}})
	if !errors.Is(err, store.ErrManifestMismatch) || !strings.Contains(err.Error(), "other.pth has sha256") {
		t.Fatalf("other weights: %v", err)
	}
	if err := a.CheckModel(ModelOptions{Weights: other}); !errors.Is(err, store.ErrManifestMismatch) {
		t.Fatalf("CheckModel with other weights: %v", err)
	}
}
