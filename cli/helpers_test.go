package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/store"
)

// testWeights is the tiny VGG16-shaped fixture (32× narrower, same keys).
var testWeights, _ = filepath.Abs("../embed/vgg/testdata/vgg16_w32_zip.pth")

// needRuntime skips tests that run the model when ONNX Runtime is missing,
// unless VECIMG_REQUIRE_ORT is set (make test), which makes them fail.
func needRuntime(t testing.TB) {
	t.Helper()
	if _, err := embed.LoadRuntime(""); err != nil {
		if os.Getenv("VECIMG_REQUIRE_ORT") != "" {
			t.Fatalf("ONNX Runtime is required (VECIMG_REQUIRE_ORT is set): %v", err)
		}
		t.Skipf("ONNX Runtime not available (run `make ort`): %v", err)
	}
}

// run runs the app in-process and returns what it wrote to stdout.
func run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := App()
	app.Writer, app.ErrWriter = &out, &errOut
	err := Run(context.Background(), app, append([]string{"vecimg"}, args...))
	return out.String(), err
}

func mustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("vecimg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func decodeJSON[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

// writeNoisePNGs writes n distinct seeded images named 0.png .. n-1.png.
func writeNoisePNGs(t testing.TB, dir string, n int, seed uint64) {
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
		if err := os.WriteFile(filepath.Join(dir, strings.TrimSpace(itoa(i))+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// writeTestNPZ writes an .npz of ids and seeded vectors (dim values each,
// around `groups` well-separated centres) as `vecimg export` does, and
// returns its path.
func writeTestNPZ(t testing.TB, dir, name string, ids []string, dim, groups int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(len(ids)), uint64(dim)))
	centres := make([][]float32, groups)
	for g := range centres {
		centres[g] = make([]float32, dim)
		for j := range centres[g] {
			centres[g][j] = float32(r.NormFloat64() * 5)
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := store.NewNPZWriter(f)
	if err := z.Strings("ids", ids); err != nil {
		t.Fatal(err)
	}
	mw, err := z.Float32s("vectors", len(ids), dim)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, dim)
	for i := range ids {
		for j := range row {
			row[j] = centres[i%groups][j] + float32(r.NormFloat64())
		}
		if err := mw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// hasRow reports whether text holds a line whose fields are exactly cells.
func hasRow(text string, cells ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.Join(strings.Fields(line), "\x00") == strings.Join(cells, "\x00") {
			return true
		}
	}
	return false
}

// snapshot hashes every file under the given paths (files or folders);
// missing paths are recorded as missing.
func snapshot(t testing.TB, paths ...string) map[string]string {
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

// sameSnapshot fails the test for every file that changed, appeared or
// vanished between two snapshots.
func sameSnapshot(t testing.TB, before, after map[string]string) {
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

// runBoth runs the app in-process and returns stdout and stderr.
func runBoth(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := App()
	a.Writer, a.ErrWriter = &out, &errOut
	err = Run(context.Background(), a, append([]string{"vecimg"}, args...))
	return out.String(), errOut.String(), err
}
