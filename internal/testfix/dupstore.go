package testfix

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vecimg/vecimg/store"
)

// DupStore writes a store of 14 images (noise PNGs on disk, vectors chosen
// here, 16-d, imported model "test-model") with known duplicates:
//
//	a1, a2, a3   near-duplicates (a2 has the largest resolution)
//	b1, b2       near-duplicates of the same size; b1 stored first
//	c, c-copy    the same SHA-256 (and vector)
//	lone         far from everything
//	s0..s5       unrelated
//
// It returns the store's path and the folder of the images (record i's
// file is imgs/i.png).
func DupStore(t testing.TB) (db, imgs string) {
	t.Helper()
	dir := t.TempDir()
	imgs = filepath.Join(dir, "imgs")
	if err := os.MkdirAll(imgs, 0o755); err != nil {
		t.Fatal(err)
	}
	NoisePNGs(t, imgs, 14, 5)
	db = filepath.Join(dir, "dups.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const dim = 16
	if err := st.EnsureManifest(store.Manifest{Model: "test-model", Preset: store.PresetNone, Dim: dim,
		Spec: store.ModelSpec{Kind: store.ModelImported, Name: "test-model", Preset: store.PresetNone}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	rnd := func() []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	near := func(base []float32, eps float64) []float32 {
		v := make([]float32, dim)
		for i := range v {
			v[i] = base[i] + float32(eps*r.NormFloat64())
		}
		return v
	}
	a, b, c := rnd(), rnd(), rnd()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type rec struct {
		id   string
		v    []float32
		w, h int
		sha  string
	}
	recs := []rec{
		{"a1", a, 100, 100, ""}, {"a2", near(a, 0.02), 400, 300, ""}, {"a3", near(a, 0.03), 200, 200, ""},
		{"b1", b, 50, 50, ""}, {"b2", near(b, 0.02), 50, 50, ""},
		{"c", c, 64, 64, strings.Repeat("c", 64)}, {"c-copy", c, 64, 64, strings.Repeat("c", 64)},
		{"lone", rnd(), 10, 10, ""},
	}
	for i := range 6 {
		recs = append(recs, rec{"s" + strconv.Itoa(i), rnd(), 10, 10, ""})
	}
	for i, x := range recs {
		sha := x.sha
		if sha == "" {
			sha = strings.Repeat("0", 62) + string("0123456789abcdef"[i/16]) + string("0123456789abcdef"[i%16])
		}
		// one Put per record so that Added orders them
		err := st.Put([]store.Record{{ID: x.id, Path: filepath.Join(imgs, strconv.Itoa(i)+".png"), SHA256: sha, Width: x.w, Height: x.h,
			Vector: x.v, Meta: store.Meta{Label: store.NoLabel}, Added: t0.Add(time.Duration(i) * time.Second)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return db, imgs
}

// CheckDupsCSV checks the CSV that dups writes for the DupStore at cosine
// threshold 0.05: the header, 7 member rows (groups of 3, 2 and 2), the
// kept a2 first with distance 0, then a vector-only match without hashes.
func CheckDupsCSV(t testing.TB, path string) {
	t.Helper()
	rows := ReadCSV(t, path)
	if !slices.Equal(rows[0], []string{"group", "id", "path", "keep", "distance", "phash_distance", "dhash_distance", "mirrored", "cropped", "matched_by"}) || len(rows) != 1+7 {
		t.Fatalf("csv: %v", rows)
	}
	if !slices.Equal(rows[1][:2], []string{"1", "a2"}) || rows[1][3] != "true" || rows[1][4] != "0.000000" || rows[2][3] != "false" || rows[2][9] != "vector" || rows[2][5] != "-1" {
		t.Errorf("csv rows: %v", rows[1:3])
	}
}

// ReadCSV reads every row of the CSV file at path.
func ReadCSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}
