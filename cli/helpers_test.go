package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/embed"
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
	err := app.RunContext(context.Background(), append([]string{"vecimg"}, args...))
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

func itoa(i int) string { return sprintf("%d", i) }
