package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/internal/types"
)

// Bad files reach the server's progress as events, counted without a lock
// and without reading message text (issue 17.1; run with -race: several
// decode workers find bad files at once).
func TestIngestCountsBadFiles(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	writePNGs(t, imgs, 8)
	for i := range 24 {
		os.WriteFile(filepath.Join(imgs, fmt.Sprintf("bad%02d.jpg", i)), []byte("not an image"), 0o644)
	}
	weights, _ := filepath.Abs("../../embed/vgg/testdata/vgg16_w32_zip.pth")
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := app.NewServeBackend(a, app.ServeBackendOptions{Model: app.ModelOptions{Weights: weights}, Batch: 2, Workers: 4})
	var last types.IngestProgress
	rep, err := b.Ingest(context.Background(), imgs, func(p types.IngestProgress) { last = p })
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
	h := server.New(app.NewServeBackend(a, app.ServeBackendOptions{}), server.Config{}).Handler()
	rec := call(t, h, "GET", "/api/v1/info", "", "")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "created") {
		t.Fatalf("info of a missing store: %d %s", rec.Code, rec.Body.String())
	}
}

// The API answers as the README says: 422 for a k larger than the other
// stored images and for an upload that is not an image, in the API's own
// words (k=…), never quoting a CLI flag (21.9).
func TestAPIRefusalsAsDocumented(t *testing.T) {
	a, _ := importedStore(t, 30)
	h := server.New(app.NewServeBackend(a, app.ServeBackendOptions{}), server.Config{}).Handler()
	for _, c := range []struct{ method, url, ct, body, want string }{
		{"GET", "/api/v1/images/3/neighbours?k=30", "", "", "k=30 is more than the 29 other stored images"},
		{"POST", "/api/v1/clusters", "application/json", `{"k": 31}`, "k=31 is more than the 30 stored images"},
		{"POST", "/api/v1/search?k=3", "image/jpeg", "hello, I am text", "is not a JPEG, PNG or GIF image"},
	} {
		e := decode[errAnswer](t, call(t, h, c.method, c.url, c.ct, c.body), 422)
		if !strings.Contains(e.Error, c.want) || strings.Contains(e.Error, "--") {
			t.Errorf("%s %s: %q, want %q and no CLI flag", c.method, c.url, e.Error, c.want)
		}
	}
	if nb := decode[nbAnswer](t, call(t, h, "GET", "/api/v1/images/3/neighbours?k=29", "", ""), 200); len(nb.Results) != 29 {
		t.Errorf("k=29 of 30: %d results", len(nb.Results))
	}
}

// Map points carry no empty sha256 (issue 21, polish).
func TestMapHasNoEmptyHashes(t *testing.T) {
	a, _ := importedStore(t, 30)
	h := server.New(app.NewServeBackend(a, app.ServeBackendOptions{}), server.Config{}).Handler()
	rec := call(t, h, "GET", "/api/v1/map", "", "")
	if rec.Code != 200 || strings.Contains(rec.Body.String(), `"sha256":""`) || !strings.Contains(rec.Body.String(), `"points"`) {
		t.Fatalf("map: %d %.300s", rec.Code, rec.Body.String())
	}
}
