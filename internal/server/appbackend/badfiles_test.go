package appbackend_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/internal/server/appbackend"
)

// Bad files reach the server's progress as events, counted without a lock
// and without reading message text (issue 17.1; run with -race: several
// decode workers find bad files at once).
func TestIngestCountsBadFiles(t *testing.T) {
	needRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	writePNGs(t, imgs, 8)
	for i := range 24 {
		os.WriteFile(filepath.Join(imgs, fmt.Sprintf("bad%02d.jpg", i)), []byte("not an image"), 0o644)
	}
	weights, _ := filepath.Abs("../../../embed/vgg/testdata/vgg16_w32_zip.pth")
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := appbackend.New(a, appbackend.Options{Model: app.ModelOptions{Weights: weights}, Batch: 2, Workers: 4})
	var last server.IngestProgress
	rep, err := b.Ingest(context.Background(), imgs, func(p server.IngestProgress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Bad) != 24 || last.Bad != 24 || last.Done != last.Total || last.Total != 32 {
		t.Fatalf("report: %d bad; last progress %+v (want 24 bad of 32, all done)", len(rep.Bad), last)
	}
}

// A store not created yet (a --watch server before its first batch) has no
// creation time in /api/v1/info, rather than year 1 (21.5).
func TestInfoOfMissingStoreHasNoCreated(t *testing.T) {
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(t.TempDir(), "none.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	h := server.New(appbackend.New(a, appbackend.Options{}), server.Config{}).Handler()
	rec := call(t, h, "GET", "/api/v1/info", "", "")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "created") {
		t.Fatalf("info of a missing store: %d %s", rec.Code, rec.Body.String())
	}
}
