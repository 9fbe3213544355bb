package app

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/merge"
	"github.com/vecimg/vecimg/internal/parquetio"

	"github.com/vecimg/vecimg/index"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// TestTypesPinned keeps the front ends' copies of library values (in
// internal/types, which imports no library) equal to the libraries' own.
func TestTypesPinned(t *testing.T) {
	pins := []struct {
		name      string
		got, want any
	}{
		{"NoLabel", types.NoLabel, store.NoLabel},
		{"MaxIDLen", types.MaxIDLen, store.MaxIDLen},
		{"MaxIDLen (index)", types.MaxIDLen, index.MaxIDLen},
		{"ORTVersion", types.ORTVersion, embed.ORTVersion},
		{"ORTLibraryEnv", types.ORTLibraryEnv, embed.LibraryEnv},
		{"VGG16WeightsFile", types.VGG16WeightsFile, embed.VGG16WeightsFile},
		{"DefaultMaxPixels", int64(types.DefaultMaxPixels), int64(embed.DefaultMaxPixels)},
		{"PresetNames", strings.Join(types.PresetNames(), ","), strings.Join(embed.PresetNames(), ",")},
		{"ModelVGG16", types.ModelVGG16, store.ModelVGG16},
		{"ModelONNX", types.ModelONNX, store.ModelONNX},
		{"ModelImported", types.ModelImported, store.ModelImported},
		{"SchemaVersion", types.SchemaVersion, store.SchemaVersion},
		{"DefaultK", types.DefaultK, cluster.DefaultK},
		{"DefaultSeed", types.DefaultSeed, cluster.DefaultSeed},
		{"DefaultBatchSize", types.DefaultBatchSize, cluster.DefaultBatchSize},
		{"DefaultMaxIter", types.DefaultMaxIter, cluster.DefaultMaxIter},
		{"DefaultNInit", types.DefaultNInit, cluster.DefaultNInit},
		{"DefaultRefine", types.DefaultRefine, cluster.DefaultRefine},
		{"DefaultDupThreshold", types.DefaultDupThreshold, dedup.DefaultThreshold},
		{"DefaultPHash", types.DefaultPHash, dedup.DefaultPHash},
		{"DefaultPHashLarge", types.DefaultPHashLarge, dedup.DefaultPHashLarge},
		{"DupLargeStore", types.DupLargeStore, dedup.LargeStore},
		{"DefaultDHash", types.DefaultDHash, dedup.DefaultDHash},
		{"DefaultDupK", types.DefaultDupK, dedup.DefaultK},
		{"DefaultDupMaxK", types.DefaultDupMaxK, dedup.DefaultMaxK},
		{"DefaultOutlierK", types.DefaultOutlierK, dedup.DefaultOutlierK},
		{"DefaultOutlierN", types.DefaultOutlierN, dedup.DefaultOutlierN},
		{"DupIdentical", types.DupIdentical, string(dedup.Identical)},
		{"DupNear", types.DupNear, string(dedup.Near)},
		{"DupTransforms", strings.Join(types.DupTransforms(), ","), strings.Join(dedup.Transforms, ",")},
		{"DefaultRowsPerFile", types.DefaultRowsPerFile, parquetio.DefaultRowsPerFile},
		{"SuccessFile", types.SuccessFile, parquetio.SuccessFile},
		{"MergeRefuse", types.MergeRefuse, merge.Refuse},
		{"MergeRename", types.MergeRename, merge.Rename},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("types.%s = %v, the library's is %v", p.name, p.got, p.want)
		}
	}
}

// TestTypesConvert checks that the conversions between library option and
// result types and the front ends' copies keep every field.
func TestTypesConvert(t *testing.T) {
	p := types.ClusterParams{K: 7, Seed: 9, BatchSize: 3, MaxIter: 4, NInit: 2, Refine: -1, Normalize: true}
	o := clusterOptions(p)
	if o.K != 7 || o.Seed != 9 || o.BatchSize != 3 || o.MaxIter != 4 || o.NInit != 2 || o.Refine != -1 || !o.Normalize {
		t.Fatalf("clusterOptions(%+v) = %+v", p, o)
	}
	spec := store.ModelSpec{Kind: store.ModelVGG16, Name: "n", File: "/w.pth", SHA256: "ab", InputSize: 224, Precision: "int8", Preset: "blitz",
		Quant: &store.QuantSpec{Ranges: []float32{1, 2}, WeightBits: 7, Rule: "r", Images: 5, Digest: "cd"}}
	got, err := json.Marshal(modelSpec(spec))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(spec)
	if string(got) != string(want) {
		t.Fatalf("modelSpec JSON %s, the store's %s", got, want)
	}
	sameJSON(t, "sweepRows", sweepRows([]cluster.SweepRow{{K: 2, Inertia: 1.5, Silhouette: 0.25, Sizes: []int{3, 4}, Iterations: 7, Converged: true},
		{K: 3, Silhouette: math.NaN(), Sizes: []int{1, 2, 4}}}),
		[]cluster.SweepRow{{K: 2, Inertia: 1.5, Silhouette: 0.25, Sizes: []int{3, 4}, Iterations: 7, Converged: true},
			{K: 3, Silhouette: math.NaN(), Sizes: []int{1, 2, 4}}})
	st := embed.IngestStats{Total: 5, Stored: 2, Copied: 1, Replaced: 1, Present: 1, Seconds: 2.5, PerSec: 0.8, Device: "cpu",
		Bad: []embed.BadFile{{Path: "/x.jpg", Reason: "truncated"}}}
	sameJSON(t, "ingestStats", ingestStats(st), st)
	mr := merge.Result{Inputs: []merge.InputCount{{Name: "a", Records: 3}}, Written: 3, Present: 1, Duplicates: 2,
		Conflicts: []merge.Conflict{{ID: "7", Holders: []string{"a", "b"}, Renamed: []string{"7~2"}}}, NConflicts: 1}
	sameJSON(t, "mergeCounts", mergeCounts(mr), mr)
}

// sameJSON fails unless got and want encode to the same JSON.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s: JSON %s, the library's %s", what, g, w)
	}
}
