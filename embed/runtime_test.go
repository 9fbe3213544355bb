package embed

import (
	"errors"
	"strings"
	"testing"
)

func TestRuntimeNotFoundSaysHowToInstall(t *testing.T) {
	_, err := loadRuntime("/nonexistent/libonnxruntime.so.1")
	if !errors.Is(err, ErrRuntimeNotFound) {
		t.Fatalf("err = %v, want ErrRuntimeNotFound", err)
	}
	for _, want := range []string{"/nonexistent/libonnxruntime.so.1 (not found)", "make ort", LibraryEnv, ORTVersion} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, err)
		}
	}
}

func TestLibraryCandidatesOrder(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv(LibraryEnv, "")
	c := libraryCandidates("")
	if c[0] != "/cache/vecimg/onnxruntime/"+ORTVersion+"/libonnxruntime.so.1" || c[len(c)-2] != "libonnxruntime.so.1" {
		t.Fatalf("candidates %v", c)
	}
	t.Setenv(LibraryEnv, "/env/lib.so")
	if c := libraryCandidates(""); len(c) != 1 || c[0] != "/env/lib.so" {
		t.Fatalf("env candidate %v", c)
	}
	if c := libraryCandidates("/flag/lib.so"); len(c) != 1 || c[0] != "/flag/lib.so" {
		t.Fatalf("flag candidate %v", c)
	}
}
