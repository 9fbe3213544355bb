package embed

import (
	"os"
	"testing"
)

// testRuntime loads ONNX Runtime for tests. Without it the test is skipped,
// unless VECIMG_REQUIRE_ORT is set (make test sets it), which makes it fail.
func testRuntime(t testing.TB) Runtime {
	t.Helper()
	rt, err := LoadRuntime("")
	if err != nil {
		if os.Getenv("VECIMG_REQUIRE_ORT") != "" {
			t.Fatalf("ONNX Runtime is required (VECIMG_REQUIRE_ORT is set): %v", err)
		}
		t.Skipf("ONNX Runtime not available (run `make ort`): %v", err)
	}
	return rt
}
