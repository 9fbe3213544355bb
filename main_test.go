package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/cli"
	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/npz"
	"github.com/vecimg/vecimg/store"
)

var testWeights, _ = filepath.Abs("embed/vgg/testdata/vgg16_w32_zip.pth")

// readmeExitTable returns the statuses of the README's "Exit status" table.
func readmeExitTable(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Exit status\n")
	if !ok {
		t.Fatal(`README.md has no "## Exit status" section`)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var codes []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(sec, -1) {
		n, _ := strconv.Atoi(m[1])
		codes = append(codes, n)
	}
	return codes
}

// writeNPZ writes n vectors of dim values (ids v1..vn).
func writeNPZ(t *testing.T, path string, n, dim int) {
	t.Helper()
	var buf bytes.Buffer
	z := npz.NewWriter(&buf)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("v%d", i+1)
	}
	if err := z.Strings("ids", ids); err != nil {
		t.Fatal(err)
	}
	m, err := z.Float32s("vectors", n, dim)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		row := make([]float32, dim)
		row[i%dim] = 1
		row[(i+1)%dim] = 0.5
		if err := m.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExitStatusTable runs a refusal of every kind in-process, maps its
// error as main does, and checks the status against the README's table:
// every row of the table is reached, and no command ends with a status the
// table does not have (issue 21.8).
func TestExitStatusTable(t *testing.T) {
	table := readmeExitTable(t)
	want := []int{exitOK, exitError, exitUsage, exitBadFiles, exitBusy, exitInterrupted}
	if !slices.Equal(table, want) {
		t.Fatalf("README's exit status table has %v, main has %v", table, want)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")    // imported vectors (no model needed)
	imgDB := filepath.Join(dir, "i.db") // ingested images (needs ONNX Runtime)
	npz := "internal/npz/testdata/good.npz"
	wide := filepath.Join(dir, "wide.npz")
	writeNPZ(t, wide, 4, 16)
	trunc := filepath.Join(dir, "trunc.parquet")
	os.WriteFile(trunc, []byte("PAR1 this is not the whole file"), 0o644)
	tmplTwice := filepath.Join(dir, "twice.csv")
	os.WriteFile(tmplTwice, []byte("ImageID,label\na,\na,\n"), 0o644)
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	for _, f := range []string{"1.png", "2.png", "3.png"} {
		b, _ := os.ReadFile(filepath.Join("testdata/images", f))
		os.WriteFile(filepath.Join(imgs, f), b, 0o644)
	}
	badImgs := filepath.Join(dir, "bad")
	os.MkdirAll(badImgs, 0o755)
	os.WriteFile(filepath.Join(badImgs, "x.jpg"), []byte("not a JPEG"), 0o644)
	code := func(ctx context.Context, args ...string) int {
		a := cli.App()
		a.Writer, a.ErrWriter = &bytes.Buffer{}, &bytes.Buffer{}
		return exitCode(cli.Run(ctx, a, append([]string{"vecimg"}, args...)))
	}
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"--db", db, "info"}, exitError},        // no store yet
		{[]string{"--db", db, "import", npz}, exitUsage}, // --model-name missing
		{[]string{"--db", db, "import", "internal/npz/testdata/nan.npz", "--model-name", "m"}, exitUsage},
		{[]string{"--db", db, "import", trunc, "--model-name", "m"}, exitUsage},
		{[]string{"--db", db, "import", npz, "--model-name", "m", "-q"}, exitOK},
		{[]string{"--db", db, "import", wide, "--model-name", "m", "-q"}, exitUsage}, // another dimension
		{[]string{"--db", db, "merge", trunc}, exitUsage},
		{[]string{"--db", db, "similar", "a", "-k", "2"}, exitOK},
		{[]string{"--db", db, "similar", "-k", "0", "a"}, exitUsage},
		{[]string{"--db", db, "similar", "nothing-like-this"}, exitUsage},
		{[]string{"--db", db, "rm", "nothing-like-this"}, exitUsage},
		{[]string{"--db", db, "similar", "testdata/images/1.png"}, exitError}, // imported: no model
		{[]string{"--db", db, "cluster", "--k", "99"}, exitUsage},
		{[]string{"--db", db, "cluster", "--nope"}, exitUsage},
		{[]string{"--db", db, "cluster", "--k", "2", "--export", filepath.Join(dir, "s.csv"), "--template", tmplTwice}, exitUsage},
		{[]string{"nosuchcommand"}, exitUsage},
		{[]string{"model", "build"}, exitUsage},
		{[]string{"model", "build", "--weights", testWeights, "--size", "300", "--out", filepath.Join(dir, "m.onnx")}, exitUsage},
		{[]string{"model", "build", "--weights", testWeights, "--precision", "fp8", "--out", filepath.Join(dir, "m.onnx")}, exitUsage},
		{[]string{"--db", db, "check"}, exitOK},
	}
	if _, err := embed.LoadRuntime(""); err == nil || os.Getenv("VECIMG_REQUIRE_ORT") != "" {
		cases = append(cases, []struct {
			args []string
			want int
		}{
			{[]string{"--db", imgDB, "ingest", "-q", "--weights", testWeights, imgs}, exitOK},
			{[]string{"--db", imgDB, "ingest", "-q", "--preset", "imagenet", imgs}, exitUsage},
			{[]string{"--db", imgDB, "ingest", "-q", "--strict", badImgs}, exitBadFiles},
		}...)
	}
	seen := map[int]bool{}
	for _, tc := range cases {
		got := code(context.Background(), tc.args...)
		if got != tc.want {
			t.Errorf("%v: exit %d, want %d", tc.args, got, tc.want)
		}
		seen[got] = true
	}
	os.WriteFile(db+".hnsw", []byte("not an index"), 0o644)
	if got := code(context.Background(), "--db", db, "check"); got != exitError {
		t.Errorf("check with a damaged index: exit %d, want %d", got, exitError)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := code(ctx, "--db", filepath.Join(dir, "c.db"), "import", npz, "--model-name", "m", "-q"); got != exitInterrupted {
		t.Errorf("interrupted import: exit %d, want %d", got, exitInterrupted)
	}
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := code(context.Background(), "--db", db, "import", npz, "--model-name", "m"); got != exitBusy {
		t.Errorf("a second writer: exit %d, want %d", got, exitBusy)
	}
	seen[exitError], seen[exitBusy], seen[exitInterrupted] = true, true, true
	for _, c := range table {
		if !seen[c] && (c != exitBadFiles || os.Getenv("VECIMG_REQUIRE_ORT") != "") {
			t.Errorf("no refusal in this test ends with status %d", c)
		}
	}
}
