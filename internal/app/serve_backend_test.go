package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/npz"
	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// writeNPZ writes n seeded vectors of dim values around three centres,
// with ids 1..n.
func writeNPZ(t *testing.T, path string, n, dim int) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	centres := make([][]float32, 3)
	for c := range centres {
		centres[c] = make([]float32, dim)
		for j := range dim {
			centres[c][j] = float32(r.NormFloat64() * 3)
		}
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(i + 1)
	}
	var buf bytes.Buffer
	z := npz.NewWriter(&buf)
	if err := z.Strings("ids", ids); err != nil {
		t.Fatal(err)
	}
	m, err := z.Float32s("vectors", n, dim)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, dim)
	for i := range n {
		c := centres[i%3]
		for j := range dim {
			row[j] = c[j] + float32(r.NormFloat64()*0.3)
		}
		if err := m.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// importedStore makes a store of n imported vectors (no model: no ONNX
// Runtime needed) and opens it the way `vecimg serve` does.
func importedStore(t *testing.T, n int) (*app.App, string) {
	t.Helper()
	dir := t.TempDir()
	npz := filepath.Join(dir, "v.npz")
	writeNPZ(t, npz, n, 16)
	db := filepath.Join(dir, "s.db")
	a, err := app.Open(context.Background(), app.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Import(context.Background(), app.ImportOptions{File: npz, ModelName: "test-vectors"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, db
}

func call(t *testing.T, h http.Handler, method, u, ct, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, u, strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder, status int) T {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body.String())
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, rec.Body.String())
	}
	return v
}

type listAnswer struct {
	Total  int           `json:"total"`
	Images []types.Image `json:"images"`
}

type nbAnswer struct {
	QueryID string            `json:"query_id"`
	Results []types.Neighbour `json:"results"`
}

type errAnswer struct {
	Error string `json:"error"`
}

// The API answers from the same operations as the CLI: the neighbours of
// an id are app.Similar's, a clustering writes the labels `vecimg cluster`
// writes, listing is in natural id order.
func TestAPIOnAStore(t *testing.T) {
	a, _ := importedStore(t, 60)
	h := server.New(app.NewServeBackend(a, app.ServeBackendOptions{}), server.Config{}).Handler()

	info := decode[types.ServerInfo](t, call(t, h, "GET", "/api/v1/info", "", ""), 200)
	if info.Count != 60 || info.Dim != 16 || info.CanEmbed || !strings.Contains(info.EmbedWhy, "imported") {
		t.Fatalf("info %+v", info)
	}
	page := decode[listAnswer](t, call(t, h, "GET", "/api/v1/images?limit=12&offset=0", "", ""), 200)
	var got []string
	for _, im := range page.Images {
		got = append(got, im.ID)
	}
	if page.Total != 60 || !slices.Equal(got, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}) {
		t.Fatalf("first page (natural order): total %d, %v", page.Total, got)
	}
	if im := page.Images[0]; im.Label != types.NoLabel || im.SHA256 == "" || !strings.Contains(im.Path, "v.npz#") {
		t.Fatalf("record %+v", im)
	}

	for _, exact := range []bool{false, true} {
		nb := decode[nbAnswer](t, call(t, h, "GET", fmt.Sprintf("/api/v1/images/10/neighbours?k=5&exact=%v", exact), "", ""), 200)
		want, err := a.Similar(context.Background(), app.SimilarOptions{Query: "10", K: 5, Exact: exact})
		if err != nil {
			t.Fatal(err)
		}
		if len(nb.Results) != 5 || nb.QueryID != "10" {
			t.Fatalf("neighbours %+v", nb)
		}
		for i, r := range nb.Results {
			if r.ID != want.Results[i].ID || r.Distance != want.Results[i].Distance {
				t.Fatalf("exact=%v: API neighbour %d is %s (%v), similar says %s (%v)", exact, i, r.ID, r.Distance, want.Results[i].ID, want.Results[i].Distance)
			}
			// Ids 1, 4, 7, ... share a centre with 10.
			if id := r.ID; (mustAtoi(t, id)-1)%3 != 0 {
				t.Fatalf("neighbour %s of 10 is from another group", id)
			}
		}
	}
	// Unknown and path-looking ids never reach the file system.
	for _, id := range []string{"61", "../../etc/passwd", "/etc/passwd", "10.jpg"} {
		for _, suffix := range []string{"", "/neighbours", "/thumb", "/file"} {
			rec := call(t, h, "GET", "/api/v1/images/"+url.PathEscape(id)+suffix, "", "")
			if e := decode[errAnswer](t, rec, 404); !strings.Contains(e.Error, "no stored image has id") {
				t.Fatalf("%s%s: %s", id, suffix, e.Error)
			}
		}
	}
	// Imported records have no image file.
	if e := decode[errAnswer](t, call(t, h, "GET", "/api/v1/images/3/thumb", "", ""), 404); !strings.Contains(e.Error, "is gone") {
		t.Fatalf("thumb of an imported record: %s", e.Error)
	}
	// No model: an upload is refused with 503 and the reason.
	png := mustRead(t, "../../testdata/images/1.png")
	rec := call(t, h, "POST", "/api/v1/search?k=3", "image/png", string(png))
	if e := decode[errAnswer](t, rec, 503); !strings.Contains(e.Error, "imported vectors") {
		t.Fatalf("upload on an imported store: %s", e.Error)
	}

	// Clustering from the API writes the same labels as `vecimg cluster`
	// with the same k and seed.
	cl := decode[types.Clusters](t, call(t, h, "POST", "/api/v1/clusters", "application/json", `{"k": 3, "seed": 5}`), 200)
	if cl.Run == nil || cl.Run.K != 3 || cl.Run.Seed != 5 || len(cl.Clusters) != 3 || cl.Unlabelled != 0 {
		t.Fatalf("clusters %+v", cl)
	}
	for _, c := range cl.Clusters {
		if c.Size != 20 {
			t.Fatalf("three groups of 20 expected: %+v", cl.Clusters)
		}
	}
	apiLabels := labels(t, a)
	// Records shown before the clustering (cached) come back with their new
	// labels.
	nb := decode[nbAnswer](t, call(t, h, "GET", "/api/v1/images/10/neighbours?k=5", "", ""), 200)
	for _, r := range nb.Results {
		if r.Label != apiLabels[r.ID] || r.Label == types.NoLabel {
			t.Fatalf("neighbour %s after clustering has label %d, the store %d", r.ID, r.Label, apiLabels[r.ID])
		}
	}
	if im := decode[types.Image](t, call(t, h, "GET", "/api/v1/images/10", "", ""), 200); im.Label != apiLabels["10"] {
		t.Fatalf("record of 10 after clustering: label %d, the store %d", im.Label, apiLabels["10"])
	}
	if _, err := a.Cluster(context.Background(), app.ClusterOptions{Params: types.ClusterParams{K: 3, Seed: 5}}); err != nil {
		t.Fatal(err)
	}
	if cliLabels := labels(t, a); !mapsEqual(apiLabels, cliLabels) {
		t.Fatal("the API's clustering and the CLI's (same k, seed) gave different labels")
	}
	page = decode[listAnswer](t, call(t, h, "GET", "/api/v1/images?cluster=1&limit=500", "", ""), 200)
	if page.Total != 20 {
		t.Fatalf("cluster 1 lists %d images", page.Total)
	}
	for _, im := range page.Images {
		if im.Label != 1 {
			t.Fatalf("cluster filter: %+v", im)
		}
	}
	e := decode[errAnswer](t, call(t, h, "POST", "/api/v1/clusters", "application/json", `{"k": 61}`), 422)
	if !strings.Contains(e.Error, "more than the 60 stored images") {
		t.Fatalf("k above the count: %s", e.Error)
	}

	m := decode[types.Map](t, call(t, h, "GET", "/api/v1/map", "", ""), 200)
	if len(m.Points) != 60 || m.Explained[0] <= m.Explained[1] || m.Explained[0]+m.Explained[1] < 0.9 {
		t.Fatalf("map: %d points, explained %v (three tight groups lie in a plane)", len(m.Points), m.Explained)
	}
	for _, pt := range m.Points {
		if pt.Label != apiLabels[pt.ID] {
			t.Fatalf("map point %s has label %d, the store %d", pt.ID, pt.Label, apiLabels[pt.ID])
		}
	}
}

func labels(t *testing.T, a *app.App) map[string]int32 {
	t.Helper()
	st, err := a.Store()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	if err := st.Scan(context.Background(), func(r *store.Record) error { out[r.ID] = r.Meta.Label; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func mapsEqual(a, b map[string]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("id %q is not a number", s)
	}
	return n
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// While serve holds a store, another command on it is told who holds it.
func TestBusyNamesTheServer(t *testing.T) {
	a, db := importedStore(t, 6)
	_ = a
	remove, err := app.WriteServeLock(db, "127.0.0.1:8123")
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Open(context.Background(), app.Config{DB: db, ReadOnly: true})
	if !errors.Is(err, app.ErrBusy) || !strings.Contains(err.Error(), "`vecimg serve`") ||
		!strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(err.Error(), "http://127.0.0.1:8123") {
		t.Fatalf("busy error while serve holds the store: %v", err)
	}
	remove()
	if _, err := os.Stat(app.ServeLockPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve lock left behind: %v", err)
	}
	_, err = app.Open(context.Background(), app.Config{DB: db, ReadOnly: true})
	if !errors.Is(err, app.ErrBusy) || strings.Contains(err.Error(), "vecimg serve") {
		t.Fatalf("busy error without a serve lock: %v", err)
	}
	// A lock file of a process that is gone is ignored.
	os.WriteFile(app.ServeLockPath(db), []byte(`{"pid": 999999999, "addr": "x:1"}`), 0o644)
	if _, err := app.Open(context.Background(), app.Config{DB: db, ReadOnly: true}); strings.Contains(err.Error(), "vecimg serve") {
		t.Fatalf("stale serve lock believed: %v", err)
	}
}

func writePNGs(t *testing.T, dir string, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 64+r.IntN(32), 48+r.IntN(32)))
		for j := range img.Pix {
			img.Pix[j] = uint8(r.IntN(256))
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A stop during a --watch ingest (the server's context ends) lets the
// batches in flight be committed instead of dropped; what the ingest
// reports stored is in the store, and the next run does the rest.
func TestIngestStopCommitsInFlight(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	writePNGs(t, imgs, 48)
	weights, _ := filepath.Abs("../../embed/vgg/testdata/vgg16_w32_zip.pth")
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := app.NewServeBackend(a, app.ServeBackendOptions{Model: app.ModelOptions{Weights: weights}, Batch: 4})
	ctx, cancel := context.WithCancel(context.Background())
	atStop := -1
	rep, err := b.Ingest(ctx, imgs, func(p types.IngestProgress) {
		if atStop < 0 && p.Done > 0 {
			atStop = p.Done // the first committed batch: stop now
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped ingest: %v", err)
	}
	info, err := a.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Count != rep.Stored || rep.Stored <= atStop || rep.Stored >= 48 {
		t.Fatalf("stop after %d files: %d reported stored, %d in the store (want the batches in flight committed, not all 48)", atStop, rep.Stored, info.Count)
	}
	t.Logf("stop requested after %d images; %d committed", atStop, rep.Stored)
	rep2, err := b.Ingest(context.Background(), imgs, func(types.IngestProgress) {})
	if err != nil || rep2.Present != rep.Stored || rep2.Stored != 48-rep.Stored {
		t.Fatalf("second run: %+v, %v", rep2, err)
	}
}

// Queries are answered while an ingest adds batches to the live index, and
// every new image is searchable at the end (run with -race).
func TestQueriesDuringIngest(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
	os.MkdirAll(first, 0o755)
	os.MkdirAll(second, 0o755)
	writePNGs(t, first, 12)
	weights, _ := filepath.Abs("../../embed/vgg/testdata/vgg16_w32_zip.pth")
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := app.NewServeBackend(a, app.ServeBackendOptions{Model: app.ModelOptions{Weights: weights}, Batch: 2})
	ctx := context.Background()
	if _, err := b.Ingest(ctx, first, func(types.IngestProgress) {}); err != nil {
		t.Fatal(err)
	}
	// The second folder's files get other names: n.png → 100+n.png.
	tmp := filepath.Join(dir, "tmp")
	os.MkdirAll(tmp, 0o755)
	writePNGs(t, tmp, 30)
	for i := range 30 {
		os.Rename(filepath.Join(tmp, fmt.Sprintf("%d.png", i)), filepath.Join(second, fmt.Sprintf("%d.png", 100+i)))
	}
	if _, err := b.Neighbours(ctx, "3", 4, false); err != nil { // the index is in memory now
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Ingest(ctx, second, func(types.IngestProgress) {})
		done <- err
	}()
	var queries int
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		for _, exact := range []bool{false, true} {
			res, err := b.Neighbours(ctx, fmt.Sprint(queries%12), 5, exact)
			if err != nil || len(res) != 5 {
				t.Fatalf("query during the ingest: %v, %d results", err, len(res))
			}
			queries++
		}
		if _, err := b.List(ctx, types.ListOptions{Limit: 50}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d queries answered during the ingest", queries)
	for i := range 30 {
		id := fmt.Sprint(100 + i)
		res, err := b.Neighbours(ctx, id, 3, false)
		if err != nil || len(res) != 3 {
			t.Fatalf("new image %s after the ingest: %v %v", id, res, err)
		}
	}
	if in, _ := b.Info(ctx); in.Count != 42 {
		t.Fatalf("store holds %d images, want 42", in.Count)
	}
}
