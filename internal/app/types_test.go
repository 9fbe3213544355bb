package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/merge"
	"github.com/vecimg/vecimg/internal/parquetio"

	"github.com/vecimg/vecimg/index"
	"github.com/vecimg/vecimg/internal/server"
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
		{"DefaultAddr", types.DefaultAddr, server.DefaultAddr},
		{"DefaultRescan", types.DefaultRescan, server.DefaultRescan},
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
}
