package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/internal/shard"
	"github.com/vecimg/vecimg/internal/testfix"
)

// TestIngestOutRefusals: bad --out folders and Parquet options are refused
// before any work (no store is created); this needs no model.
func TestIngestOutRefusals(t *testing.T) {
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	testfix.CopyFile(t, filepath.Join("testdata", "images", "1.png"), filepath.Join(imgs, "1.png"))
	db := filepath.Join(dir, "s.db")
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "keep.txt"), []byte("mine"), 0o644)
	before := testfix.Snapshot(t, other)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", other}, "keep.txt"},
		{[]string{"--out", filepath.Join(dir, "x"), "--vector-type", "int8"}, "--vector-type"},
		{[]string{"--out", filepath.Join(dir, "x"), "--rows-per-file", "-1"}, "--rows-per-file"},
		{[]string{"--rows-per-file", "10"}, "add --out"},
		{[]string{"--out", filepath.Join(imgs, "1.png")}, "is a file"},
	} {
		_, err := run(t, append(append([]string{"--db", db, "ingest", "--weights", testWeights}, c.args...), imgs)...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ingest %v: %v (want %q)", c.args, err, c.want)
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("refused ingest %v created the store", c.args)
		}
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, other))
	if _, err := os.Stat(filepath.Join(dir, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused ingest created its --out folder")
	}
}

// TestIngestShardOut ingests the test images as shard 0/2 and 1/2, each
// into its own store and with --out, and checks that the two Parquet
// outputs together hold every image exactly once, each in its own shard,
// with the vectors of the stores (and of a whole ingest) bit for bit.
func TestIngestShardOut(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "test")
	var ids []string
	for i, n := range []string{"1.png", "2.png", "3.png", "4.jpg"} {
		for k := range 3 { // 12 files in three folders
			name := fmt.Sprintf("%d-%s", i, n)
			testfix.CopyFile(t, filepath.Join("testdata", "images", n), filepath.Join(imgs, fmt.Sprintf("d%d", k), name))
			ids = append(ids, fmt.Sprintf("d%d/%d-%s", k, i, strings.TrimSuffix(n, filepath.Ext(n))))
		}
	}
	slices.Sort(ids)

	seen := map[string]int{}
	var outs []string
	for i := range 2 {
		db := filepath.Join(dir, fmt.Sprintf("s%d.db", i))
		out := filepath.Join(dir, fmt.Sprintf("vectors-%d.parquet", i))
		outs = append(outs, out)
		res := decodeJSON[app.IngestResult](t, mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights,
			"--shard", fmt.Sprintf("%d/2", i), "--out", out, "--rows-per-file", "2", imgs))
		if res.Out == nil || res.Out.Records != int64(res.Total) || res.Out.Path != out || res.Out.VectorType != "float32" {
			t.Fatalf("shard %d: %d files, output %+v", i, res.Total, res.Out)
		}
		s, ok, err := parquetio.ReadSuccess(out)
		if err != nil || !ok || s.Shard != fmt.Sprintf("%d/2", i) || s.Rows != int64(res.Total) || len(s.Files) != max(1, (res.Total+1)/2) {
			t.Fatalf("shard %d: _SUCCESS %+v ok=%v err=%v", i, s, ok, err)
		}
		rows := readExport(t, out)
		for _, r := range rows {
			seen[r.ID]++
			if shard.Of(r.ID, 2) != i {
				t.Errorf("%s is in the output of shard %d, it belongs to shard %d", r.ID, i, shard.Of(r.ID, 2))
			}
		}
		// The output is the store's content: the same as an export of it.
		exp := filepath.Join(dir, fmt.Sprintf("export-%d", i))
		mustRun(t, "--db", db, "export", "-q", "--format", "parquet", "--out", exp)
		sameVectors(t, fmt.Sprintf("shard %d: --out vs export of its store", i), readExport(t, exp), rows)

		// A re-run resumes (nothing to embed) and writes the output again.
		again := decodeJSON[app.IngestResult](t, mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights,
			"--shard", fmt.Sprintf("%d/2", i), "--out", out, imgs))
		if again.Stored != 0 || again.Present != res.Total || again.Out == nil || again.Out.Records != int64(res.Total) {
			t.Fatalf("re-run of shard %d: %+v, output %+v", i, again.IngestStats, again.Out)
		}
		sameVectors(t, fmt.Sprintf("shard %d: re-run", i), rows, readExport(t, out))
	}
	var got []string
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s is in the shard outputs %d times", id, n)
		}
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Fatalf("the shard outputs hold %v, want %v", got, ids)
	}

	// Another shard's output folder is refused before any work.
	before := testfix.Snapshot(t, outs[0])
	db1 := filepath.Join(dir, "s1.db")
	_, err := run(t, "--db", db1, "ingest", "--weights", testWeights, "--shard", "1/2", "--out", outs[0], imgs)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "shard 0/2") || !strings.Contains(err.Error(), "its own --out") {
		t.Fatalf("shard 1 into shard 0's --out: %v", err)
	}
	// So is an export of a whole store into it.
	if _, err := run(t, "--db", db1, "export", "--format", "parquet", "--out", outs[0]); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "shard 0/2") {
		t.Fatalf("export into shard 0's --out: %v", err)
	}
	testfix.SameSnapshot(t, before, testfix.Snapshot(t, outs[0]))

	// Without --shard, --out holds the whole store; together the shard
	// outputs equal it, vectors bit for bit.
	whole := filepath.Join(dir, "whole.parquet")
	text := mustRun(t, "--db", filepath.Join(dir, "whole.db"), "ingest", "--weights", testWeights, "--out", whole, "-q", imgs)
	if !strings.Contains(text, "wrote "+whole+": 12 × ") {
		t.Fatalf("ingest --out printed:\n%s", text)
	}
	all := readExport(t, whole)
	union := append(readExport(t, outs[0]), readExport(t, outs[1])...)
	slices.SortFunc(union, func(a, b parquetio.Row) int { return strings.Compare(a.ID, b.ID) })
	sameVectors(t, "shard outputs vs whole ingest --out", all, union)
}
