package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveWeightsDownload(t *testing.T) {
	body := []byte(strings.Repeat("weights!", 5000))
	sum := sha256.Sum256(body)
	prefix := hex.EncodeToString(sum[:])[:8]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/models/vgg16-test.pth" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	t.Setenv(WeightsEnv, "")
	t.Setenv("TORCH_HOME", t.TempDir())
	cache := t.TempDir()
	var calls int
	var first, last int64 = -1, -1
	o := WeightsOptions{URL: srv.URL + "/models/vgg16-test.pth", SHA256: prefix, CacheDir: cache,
		Progress: func(stage string, done, total int64) {
			if stage != StageDownload {
				t.Errorf("stage %q", stage)
			}
			if calls++; first < 0 {
				first = done
			}
			last = done
		}}
	p, err := ResolveWeights(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != string(body) || filepath.Dir(p) != cache {
		t.Fatalf("downloaded to %s, %d bytes", p, len(got))
	}
	if calls < 2 || first != 0 || last != int64(len(body)) {
		t.Fatalf("progress: %d calls, first %d, last %d", calls, first, last)
	}
	// Now cached: no request needed.
	srv.Close()
	if p2, err := ResolveWeights(context.Background(), o); err != nil || p2 != p {
		t.Fatalf("cached: %s %v", p2, err)
	}
}

func TestResolveWeightsBadHashAndFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "missing.pth") {
			http.Error(w, "gone", http.StatusNotFound)
			return
		}
		w.Write([]byte("not the weights"))
	}))
	defer srv.Close()
	t.Setenv(WeightsEnv, "")
	t.Setenv("TORCH_HOME", t.TempDir())
	cache := t.TempDir()
	_, err := ResolveWeights(context.Background(), WeightsOptions{URL: srv.URL + "/w.pth", SHA256: "397923af", CacheDir: cache})
	var we *WeightsError
	if !errors.Is(err, ErrWeights) || !errors.As(err, &we) || !we.Download || we.File != VGG16WeightsFile ||
		!strings.Contains(err.Error(), "does not start with 397923af") || strings.Contains(err.Error(), "--") {
		t.Fatalf("bad hash: %v", err)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Fatalf("a damaged download was left in the cache: %v", entries)
	}
	_, err = ResolveWeights(context.Background(), WeightsOptions{URL: srv.URL + "/missing.pth", CacheDir: cache})
	if !errors.As(err, &we) || !we.Download || we.Env != WeightsEnv || !strings.Contains(err.Error(), "404") {
		t.Fatalf("failed download: %v", err)
	}
	// An explicit path wins, and a missing one is an error naming it.
	if _, err := ResolveWeights(context.Background(), WeightsOptions{Path: "/nonexistent/w.pth"}); err == nil || !strings.Contains(err.Error(), "/nonexistent/w.pth") {
		t.Fatalf("missing explicit weights: %v", err)
	}
	t.Setenv(WeightsEnv, "/from/env.pth")
	if _, err := ResolveWeights(context.Background(), WeightsOptions{}); err == nil || !strings.Contains(err.Error(), "/from/env.pth") {
		t.Fatalf("env weights: %v", err)
	}
}
