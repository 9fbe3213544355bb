package testfix

import (
	"os"
	"testing"

	"github.com/vecimg/vecimg/embed"
)

// NeedRuntime skips a test that runs the model when ONNX Runtime is
// missing, unless VECIMG_REQUIRE_ORT is set (make test), which makes it
// fail instead.
func NeedRuntime(t testing.TB) {
	t.Helper()
	if _, err := embed.LoadRuntime(""); err != nil {
		if os.Getenv("VECIMG_REQUIRE_ORT") != "" {
			t.Fatalf("ONNX Runtime is required (VECIMG_REQUIRE_ORT is set): %v", err)
		}
		t.Skipf("ONNX Runtime not available (run `make ort`): %v", err)
	}
}
