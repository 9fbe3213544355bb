package testfix

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Snapshot hashes every file under the given paths (files or folders);
// missing paths are recorded as missing.
func Snapshot(t testing.TB, paths ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, root := range paths {
		if _, err := os.Stat(root); err != nil {
			m[root] = "missing"
			continue
		}
		err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[p] = fmt.Sprintf("%x %d %v", sha256.Sum256(b), len(b), fi.ModTime().UnixNano())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// SameSnapshot fails the test for every file that changed, appeared or
// vanished between two snapshots.
func SameSnapshot(t testing.TB, before, after map[string]string) {
	t.Helper()
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed: %s → %s", p, h, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

// NoisePNGs writes n distinct seeded images named 0.png .. n-1.png into dir.
func NoisePNGs(t testing.TB, dir string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 96+r.IntN(64), 80+r.IntN(64)))
		base := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
			for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
				img.SetRGBA(x, y, color.RGBA{base.R + uint8(r.IntN(40)), base.G + uint8(x), base.B + uint8(y), 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// NPZ writes an .npz of ids and seeded vectors (dim values each, around
// `groups` well-separated centres) as `vecimg export` does, and returns its
// path.
func NPZ(t testing.TB, dir, name string, ids []string, dim, groups int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(len(ids)), uint64(dim)))
	centres := make([][]float32, groups)
	for g := range centres {
		centres[g] = make([]float32, dim)
		for j := range centres[g] {
			centres[g][j] = float32(r.NormFloat64() * 5)
		}
	}
	rows := make([][]float32, len(ids))
	for i := range rows {
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = centres[i%groups][j] + float32(r.NormFloat64())
		}
	}
	path := filepath.Join(dir, name)
	NPZRows(t, path, ids, rows)
	return path
}

// CopyFile copies the file src to dst, creating dst's folder (mode 0644).
func CopyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
