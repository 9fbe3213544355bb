package embed

import (
	"context"
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

// cpuSession builds (or takes from spec.CacheDir) the model of spec and opens
// it on the CPU; the session is closed when the test ends.
func cpuSession(t testing.TB, rt Runtime, spec ModelSpec) *Session {
	t.Helper()
	m, err := PrepareModel(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(rt, m, SessionOptions{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}
