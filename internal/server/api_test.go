package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/types"
)

type req struct {
	method, url string
	body        []byte
	header      map[string]string
}

func do(t testing.TB, h http.Handler, r req) *httptest.ResponseRecorder {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr := httptest.NewRequest(r.method, r.url, bytes.NewReader(r.body))
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hr)
	return rec
}

func get(t testing.TB, h http.Handler, u string) *httptest.ResponseRecorder {
	return do(t, h, req{url: u})
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, rec.Body.String())
	}
	return v
}

func wantOK(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", rec.Code, rec.Body.String())
	}
}

// wantError checks a 4xx/5xx answer: the status, a JSON body whose error
// says what was wrong (holds substr), and the status repeated in it.
func wantError(t testing.TB, rec *httptest.ResponseRecorder, status int, substr string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error answer has Content-Type %q, want JSON: %s", ct, rec.Body.String())
	}
	e := decode[apiError](t, rec)
	if e.Status != status || !strings.Contains(e.Error, substr) {
		t.Fatalf("error %+v, want status %d and a message holding %q", e, status, substr)
	}
}

func newTestServer(t testing.TB, n int, cfg Config) (*Server, *fakeBackend, string) {
	t.Helper()
	f, dir := fakeStore(t, n)
	return New(f, cfg), f, dir
}

func TestHealthAndInfo(t *testing.T) {
	s, _, _ := newTestServer(t, 5, Config{})
	h := s.Handler()
	rec := get(t, h, "/api/v1/health")
	wantOK(t, rec)
	if decode[map[string]string](t, rec)["status"] != "ok" {
		t.Fatal(rec.Body.String())
	}
	rec = get(t, h, "/api/v1/info")
	wantOK(t, rec)
	in := decode[infoAnswer](t, rec)
	if in.Count != 5 || in.Dim != 4 || in.MaxUpload != DefaultMaxUpload || in.MaxPixels != DefaultMaxPixels {
		t.Fatalf("info %+v", in)
	}
}

func TestListImages(t *testing.T) {
	s, f, _ := newTestServer(t, 12, Config{})
	h := s.Handler()
	rec := get(t, h, "/api/v1/images?limit=5&offset=10")
	wantOK(t, rec)
	page := decode[listAnswer](t, rec)
	// Fake ids sort as strings: 0 1 10 11 2 ... 9; offset 10 leaves 2.
	if page.Total != 12 || len(page.Images) != 2 || page.Offset != 10 || page.Limit != 5 {
		t.Fatalf("page %+v", page)
	}
	rec = get(t, h, "/api/v1/images")
	if p := decode[listAnswer](t, rec); len(p.Images) != 12 || p.Limit != DefaultLimit {
		t.Fatalf("default page %+v", p)
	}
	rec = get(t, h, "/api/v1/images?offset=100")
	wantOK(t, rec)
	if p := decode[listAnswer](t, rec); p.Images == nil || len(p.Images) != 0 || p.Total != 12 {
		t.Fatalf("past the end: %s", rec.Body.String())
	}
	// Filter by cluster.
	if _, err := f.Cluster(t.Context(), types.ClusterRequest{K: 3}); err != nil {
		t.Fatal(err)
	}
	rec = get(t, h, "/api/v1/images?cluster=1")
	wantOK(t, rec)
	p := decode[listAnswer](t, rec)
	if p.Total != 4 || p.Cluster == nil || *p.Cluster != 1 {
		t.Fatalf("cluster 1: %+v", p)
	}
	for _, im := range p.Images {
		if im.Label != 1 {
			t.Fatalf("cluster filter let through %+v", im)
		}
	}
	if p := decode[listAnswer](t, get(t, h, "/api/v1/images?cluster=-1")); p.Total != 0 {
		t.Fatalf("unlabelled after clustering: %+v", p)
	}

	for _, c := range []struct{ q, msg string }{
		{"limit=0", "limit=0 is out of range"},
		{"limit=501", "limit=501 is out of range"},
		{"limit=abc", `limit="abc" is not a whole number`},
		{"limit=", "limit is empty"},
		{"offset=-1", "offset=-1 is out of range"},
		{"offset=1e3", "not a whole number"},
		{"cluster=x", `cluster="x" is not a whole number`},
		{"cluster=-2", "cluster=-2 is out of range"},
		{"cluster=", "cluster is empty"},
	} {
		wantError(t, get(t, h, "/api/v1/images?"+c.q), http.StatusBadRequest, c.msg)
	}
}

func TestImageRecord(t *testing.T) {
	s, f, _ := newTestServer(t, 4, Config{})
	h := s.Handler()
	rec := get(t, h, "/api/v1/images/2")
	wantOK(t, rec)
	im := decode[types.Image](t, rec)
	if im.ID != "2" || im.SHA256 != f.imgs["2"].SHA256 || im.Width == 0 || im.Label != types.NoLabel {
		t.Fatalf("record %+v", im)
	}
	wantError(t, get(t, h, "/api/v1/images/nope"), http.StatusNotFound, `no stored image has id "nope"`)
	// An id with a slash is one path segment when escaped.
	if err := f.addFile("sub/7", f.imgs["1"].Path); err != nil {
		t.Fatal(err)
	}
	rec = get(t, h, "/api/v1/images/"+url.PathEscape("sub/7"))
	wantOK(t, rec)
	if decode[types.Image](t, rec).ID != "sub/7" {
		t.Fatal(rec.Body.String())
	}
	wantError(t, get(t, h, "/api/v1/images/%00"), http.StatusBadRequest, "NUL byte")
	wantError(t, get(t, h, "/api/v1/images/"+strings.Repeat("a", 4097)), http.StatusBadRequest, "more than 4096")
}

// Ids that look like paths name no stored image: the answer is an error,
// never a file from the disk.
func TestPathLookingIDs(t *testing.T) {
	s, _, _ := newTestServer(t, 3, Config{})
	h := s.Handler()
	passwd, _ := os.ReadFile("/etc/passwd")
	for _, id := range []string{
		url.PathEscape("../../../../etc/passwd"),
		url.PathEscape("/etc/passwd"),
		"..%2F..%2Fetc%2Fpasswd",
		"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		url.PathEscape("C:\\Windows\\win.ini"),
		url.PathEscape("0.png"),
	} {
		for _, suffix := range []string{"", "/file", "/thumb", "/neighbours"} {
			rec := get(t, h, "/api/v1/images/"+id+suffix)
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusBadRequest {
				t.Fatalf("%s%s: status %d, want 404 or 400: %s", id, suffix, rec.Code, rec.Body.String())
			}
			wantError(t, rec, rec.Code, "")
			if len(passwd) > 0 && bytes.Contains(rec.Body.Bytes(), passwd[:min(20, len(passwd))]) {
				t.Fatalf("%s%s served /etc/passwd", id, suffix)
			}
		}
	}
	// A traversal that the router cleans away is redirected, not served.
	rec := get(t, h, "/api/v1/images/../../etc/passwd")
	if rec.Code == http.StatusOK {
		t.Fatalf("traversal answered 200: %s", rec.Body.String())
	}
}

func TestNeighbours(t *testing.T) {
	s, _, _ := newTestServer(t, 9, Config{})
	h := s.Handler()
	rec := get(t, h, "/api/v1/images/0/neighbours?k=3")
	wantOK(t, rec)
	a := decode[neighboursAnswer](t, rec)
	if a.K != 3 || a.QueryID != "0" || len(a.Results) != 3 || a.Exact {
		t.Fatalf("answer %+v", a)
	}
	// Images 3 and 6 have the same colour family as 0 (reds).
	for i, r := range a.Results {
		if r.ID == "0" {
			t.Fatal("the query itself is among its neighbours")
		}
		if i > 0 && r.Distance < a.Results[i-1].Distance {
			t.Fatalf("not sorted: %+v", a.Results)
		}
	}
	if a.Results[0].ID != "3" && a.Results[0].ID != "6" {
		t.Fatalf("nearest to a red image is %s", a.Results[0].ID)
	}
	rec = get(t, h, "/api/v1/images/0/neighbours?k=100&exact=true")
	wantOK(t, rec)
	if a := decode[neighboursAnswer](t, rec); len(a.Results) != 8 || !a.Exact {
		t.Fatalf("k larger than the store: %+v", a)
	}
	if a := decode[neighboursAnswer](t, get(t, h, "/api/v1/images/0/neighbours")); a.K != DefaultK {
		t.Fatalf("default k: %+v", a)
	}
	for _, c := range []struct{ q, msg string }{
		{"k=0", "k=0 is out of range"},
		{"k=-3", "k=-3 is out of range"},
		{"k=1001", "k=1001 is out of range"},
		{"k=ten", `k="ten" is not a whole number`},
		{"k=", "k is empty"},
		{"k=2.5", "not a whole number"},
		{"exact=maybe", `exact="maybe" is not true or false`},
	} {
		wantError(t, get(t, h, "/api/v1/images/0/neighbours?"+c.q), http.StatusBadRequest, c.msg)
	}
	wantError(t, get(t, h, "/api/v1/images/404/neighbours"), http.StatusNotFound, "404")
}

// bombPNG is a valid PNG header claiming w×h pixels (the data after it is
// never read by DecodeConfig).
func bombPNG(t testing.TB, w, h uint32) []byte {
	t.Helper()
	b := pngBytes(t, 4, 4, color.RGBA{1, 2, 3, 255})
	// IHDR data starts at byte 16: width, height; its CRC covers type+data.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func multipartBody(t testing.TB, field, filename string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("note", "not the file"); err != nil {
		t.Fatal(err)
	}
	if filename != "" || field != "" {
		fw, err := mw.CreateFormFile(field, filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestSearchUpload(t *testing.T) {
	s, f, _ := newTestServer(t, 9, Config{MaxUpload: 64 << 10, MaxPixels: 1 << 20})
	h := s.Handler()
	green := pngBytes(t, 40, 30, color.RGBA{30, 200, 40, 255})

	rec := do(t, h, req{method: "POST", url: "/api/v1/search?k=2&name=g.png", body: green, header: map[string]string{"Content-Type": "image/png"}})
	wantOK(t, rec)
	a := decode[neighboursAnswer](t, rec)
	if len(a.Results) != 2 || a.Query != "g.png" || a.QueryID != "" {
		t.Fatalf("raw upload: %+v", a)
	}
	if id := a.Results[0].ID; id != "1" && id != "4" && id != "7" {
		t.Fatalf("nearest to a green upload is %s", id)
	}
	body, ct := multipartBody(t, "image", "green.png", green)
	rec = do(t, h, req{method: "POST", url: "/api/v1/search?k=3", body: body, header: map[string]string{"Content-Type": ct}})
	wantOK(t, rec)
	if a := decode[neighboursAnswer](t, rec); len(a.Results) != 3 || a.Query != "green.png" {
		t.Fatalf("multipart upload: %+v", a)
	}
	rec = do(t, h, req{method: "POST", url: "/api/v1/search", body: green, header: map[string]string{"Content-Type": "application/octet-stream"}})
	wantOK(t, rec)
	if n := len(f.imgs); n != 9 {
		t.Fatalf("an upload was stored: %d images", n)
	}

	big := append(bytes.Clone(green), make([]byte, 70<<10)...)
	bigForm, bigCT := multipartBody(t, "file", "big.png", big)
	noFile, noFileCT := multipartBody(t, "", "", nil)
	for _, c := range []struct {
		name   string
		url    string
		body   []byte
		ct     string
		status int
		msg    string
	}{
		{"not an image", "/api/v1/search", []byte("hello, this is text"), "image/png", 422, "is not a JPEG, PNG or GIF image"},
		{"truncated png", "/api/v1/search", green[:20], "image/png", 422, "not a JPEG, PNG or GIF"},
		{"empty", "/api/v1/search", nil, "image/jpeg", 400, "the upload is empty"},
		{"oversized raw", "/api/v1/search", big, "image/png", 413, "larger than this server's limit of 65536 bytes"},
		{"oversized form", "/api/v1/search", bigForm, bigCT, 413, "this server's limit of 65536 bytes"},
		{"bomb", "/api/v1/search", bombPNG(t, 50000, 50000), "image/png", 422, "2500000000 pixels"},
		{"form post", "/api/v1/search", []byte("a=b"), "application/x-www-form-urlencoded", 415, "is not an image upload"},
		{"text post", "/api/v1/search", green, "text/plain", 415, "is not an image upload"},
		{"no content type", "/api/v1/search", green, "", 415, "send the image as the body"},
		{"no file part", "/api/v1/search", noFile, noFileCT, 400, "holds no file part"},
		{"no boundary", "/api/v1/search", green, "multipart/form-data", 400, "without a boundary"},
		{"bad k", "/api/v1/search?k=0", green, "image/png", 400, "k=0 is out of range"},
		{"bad exact", "/api/v1/search?exact=2", green, "image/png", 400, "not true or false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hd := map[string]string{}
			if c.ct != "" {
				hd["Content-Type"] = c.ct
			}
			wantError(t, do(t, h, req{method: "POST", url: c.url, body: c.body, header: hd}), c.status, c.msg)
		})
	}
	wantError(t, get(t, h, "/api/v1/search"), http.StatusMethodNotAllowed, "GET is not allowed")
}

func TestCluster(t *testing.T) {
	s, _, _ := newTestServer(t, 9, Config{})
	h := s.Handler()
	rec := get(t, h, "/api/v1/clusters")
	wantOK(t, rec)
	if c := decode[types.Clusters](t, rec); c.Run != nil || c.Clusters == nil {
		t.Fatalf("before clustering: %s", rec.Body.String())
	}
	js := map[string]string{"Content-Type": "application/json"}
	rec = do(t, h, req{method: "POST", url: "/api/v1/clusters", body: []byte(`{"k": 3, "seed": 7}`), header: js})
	wantOK(t, rec)
	c := decode[types.Clusters](t, rec)
	if c.Run == nil || c.Run.K != 3 || c.Run.Seed != 7 || len(c.Clusters) != 3 {
		t.Fatalf("cluster answer %s", rec.Body.String())
	}
	total := 0
	for i, cs := range c.Clusters {
		total += cs.Size
		if i > 0 && cs.Size > c.Clusters[i-1].Size {
			t.Fatalf("clusters not largest first: %+v", c.Clusters)
		}
	}
	if total != 9 {
		t.Fatalf("sizes add to %d", total)
	}
	rec = do(t, h, req{method: "POST", url: "/api/v1/clusters", body: []byte(`{"k": 2}`), header: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
	wantOK(t, rec)
	if c := decode[types.Clusters](t, rec); c.Run.Seed != DefaultSeed {
		t.Fatalf("default seed: %+v", c.Run)
	}
	if c := decode[types.Clusters](t, get(t, h, "/api/v1/clusters")); c.Run == nil || c.Run.K != 2 {
		t.Fatalf("GET after POST: %+v", c)
	}

	for _, cs := range []struct {
		name, body, ct string
		status         int
		msg            string
	}{
		{"form", "k=3", "application/x-www-form-urlencoded", 415, "takes a JSON body"},
		{"multipart form", "--x--", "multipart/form-data; boundary=x", 415, "takes a JSON body"},
		{"text/plain", `{"k":3}`, "text/plain", 415, "takes a JSON body"},
		{"no content type", `{"k":3}`, "", 415, "got none"},
		{"not json", `k: 3`, "application/json", 400, "is not the JSON this call takes"},
		{"unknown field", `{"k": 3, "clusters": 4}`, "application/json", 400, `unknown field "clusters"`},
		{"k as string", `{"k": "3"}`, "application/json", 400, "is not the JSON"},
		{"two values", `{"k": 3} {"k": 4}`, "application/json", 400, "more than one JSON value"},
		{"missing k", `{"seed": 1}`, "application/json", 400, "k is missing"},
		{"k zero", `{"k": 0}`, "application/json", 400, "k=0 is out of range"},
		{"k huge", `{"k": 5000}`, "application/json", 400, "k=5000 is out of range"},
		{"negative seed", `{"k": 3, "seed": -1}`, "application/json", 400, "is not the JSON"},
		{"k above count", `{"k": 10}`, "application/json", 422, "k=10 is more than the 9 stored images"},
	} {
		t.Run(cs.name, func(t *testing.T) {
			hd := map[string]string{}
			if cs.ct != "" {
				hd["Content-Type"] = cs.ct
			}
			wantError(t, do(t, h, req{method: "POST", url: "/api/v1/clusters", body: []byte(cs.body), header: hd}), cs.status, cs.msg)
		})
	}
	wantError(t, do(t, h, req{method: "PUT", url: "/api/v1/clusters", body: []byte(`{"k":3}`), header: js}), http.StatusMethodNotAllowed, "PUT is not allowed")
	wantError(t, do(t, h, req{method: "DELETE", url: "/api/v1/images/1"}), http.StatusMethodNotAllowed, "DELETE is not allowed")
}

func TestClusterConflict(t *testing.T) {
	s, _, _ := newTestServer(t, 3, Config{})
	s.clusterMu.Lock()
	defer s.clusterMu.Unlock()
	rec := do(t, s.Handler(), req{method: "POST", url: "/api/v1/clusters", body: []byte(`{"k": 2}`), header: map[string]string{"Content-Type": "application/json"}})
	wantError(t, rec, http.StatusConflict, "already running")
}

func TestMap(t *testing.T) {
	s, _, _ := newTestServer(t, 7, Config{})
	rec := get(t, s.Handler(), "/api/v1/map")
	wantOK(t, rec)
	if m := decode[types.Map](t, rec); len(m.Points) != 7 || m.Points[0].SHA256 == "" {
		t.Fatalf("map %s", rec.Body.String())
	}
}

func TestToken(t *testing.T) {
	s, _, _ := newTestServer(t, 3, Config{Token: "s3cret"})
	h := s.Handler()
	for _, u := range []string{"/api/v1/health", "/api/v1/info", "/api/v1/images", "/api/v1/images/1/thumb", "/api/v1/images/1/file", "/api/v1/map", "/api/v1/nope"} {
		rec := get(t, h, u)
		wantError(t, rec, http.StatusUnauthorized, "needs a token")
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("%s: no WWW-Authenticate", u)
		}
	}
	wantError(t, do(t, h, req{url: "/api/v1/info", header: map[string]string{"Authorization": "Bearer s3cre"}}), http.StatusUnauthorized, "wrong token")
	wantError(t, do(t, h, req{url: "/api/v1/info", header: map[string]string{"Authorization": "Basic czNjcmV0"}}), http.StatusUnauthorized, "needs a token")
	wantError(t, do(t, h, req{method: "POST", url: "/api/v1/clusters", body: []byte(`{"k":2}`),
		header: map[string]string{"Content-Type": "application/json", "X-Vecimg-Token": "S3CRET"}}), http.StatusUnauthorized, "wrong token")
	wantOK(t, do(t, h, req{url: "/api/v1/info", header: map[string]string{"Authorization": "Bearer s3cret"}}))
	wantOK(t, do(t, h, req{url: "/api/v1/info", header: map[string]string{"X-Vecimg-Token": "s3cret"}}))
	wantOK(t, do(t, h, req{url: "/api/v1/images/1/thumb", header: map[string]string{"Cookie": TokenCookie + "=s3cret"}}))
	// The page itself is public; it asks for the token when the API refuses.
	wantOK(t, get(t, h, "/"))
}

func TestMedia(t *testing.T) {
	s, f, _ := newTestServer(t, 3, Config{ThumbSize: 32})
	h := s.Handler()
	sha := f.imgs["1"].SHA256
	rec := get(t, h, "/api/v1/images/1/thumb")
	wantOK(t, rec)
	if ct := rec.Header().Get("Content-Type"); ct != "image/jpeg" {
		t.Fatalf("thumb Content-Type %q", ct)
	}
	etag := rec.Header().Get("ETag")
	if !strings.Contains(etag, sha) || rec.Header().Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("thumb headers %v", rec.Header())
	}
	img, _, err := image.Decode(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 32 && b.Dy() != 32 || b.Dx() > 32 || b.Dy() > 32 {
		t.Fatalf("thumb is %v, want longest side 32", b)
	}
	rec = do(t, h, req{url: "/api/v1/images/1/thumb", header: map[string]string{"If-None-Match": etag}})
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("revalidation: %d %q", rec.Code, rec.Body.String())
	}
	rec = get(t, h, "/api/v1/images/1/thumb?v="+sha[:16])
	wantOK(t, rec)
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Fatalf("versioned thumb Cache-Control %q", cc)
	}
	if cc := get(t, h, "/api/v1/images/1/thumb?v=deadbeefdeadbeef").Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Fatal("a wrong version is cached as immutable")
	}

	rec = get(t, h, "/api/v1/images/1/file")
	wantOK(t, rec)
	want, _ := os.ReadFile(f.imgs["1"].Path)
	if !bytes.Equal(rec.Body.Bytes(), want) || rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("ETag") != `"`+sha+`"` {
		t.Fatalf("original: %d bytes, headers %v", rec.Body.Len(), rec.Header())
	}
	rec = do(t, h, req{url: "/api/v1/images/1/file", header: map[string]string{"If-None-Match": `"` + sha + `"`}})
	if rec.Code != http.StatusNotModified {
		t.Fatalf("original revalidation: %d", rec.Code)
	}
	wantError(t, get(t, h, "/api/v1/images/9/thumb"), http.StatusNotFound, `"9"`)
	wantError(t, get(t, h, "/api/v1/images/9/file"), http.StatusNotFound, `"9"`)

	// The file went away after ingest.
	os.Remove(f.imgs["2"].Path)
	wantError(t, get(t, h, "/api/v1/images/2/file"), http.StatusNotFound, "is gone")
	wantError(t, get(t, h, "/api/v1/images/2/thumb"), http.StatusNotFound, "is gone")
	// Replaced by something that is not an image.
	os.WriteFile(f.imgs["0"].Path, []byte("not an image any more"), 0o644)
	wantError(t, get(t, h, "/api/v1/images/0/file"), http.StatusNotFound, "no longer an image")
	wantError(t, get(t, h, "/api/v1/images/0/thumb"), http.StatusUnprocessableEntity, "cannot make a thumbnail")
}

func TestRoutesAndPage(t *testing.T) {
	s, _, _ := newTestServer(t, 1, Config{})
	h := s.Handler()
	wantError(t, get(t, h, "/api/v1/nope"), http.StatusNotFound, "no API call GET /api/v1/nope")
	wantError(t, get(t, h, "/api/v2/info"), http.StatusNotFound, "no API call")
	wantError(t, get(t, h, "/nothing-here"), http.StatusNotFound, "no page")
	wantError(t, do(t, h, req{method: "POST", url: "/", body: []byte("a=b"), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}), http.StatusMethodNotAllowed, "only answers GET")
	rec := get(t, h, "/")
	wantOK(t, rec)
	if !strings.Contains(rec.Body.String(), `<script src="/static/app.js"`) || rec.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("page: %v\n%s", rec.Header(), rec.Body.String())
	}
	for _, p := range []string{"/static/app.js", "/static/style.css"} {
		rec := get(t, h, p)
		wantOK(t, rec)
		if rec.Body.Len() < 1000 {
			t.Fatalf("%s: %d bytes", p, rec.Body.Len())
		}
	}
	if rec := get(t, h, "/static/../server.go"); rec.Code == http.StatusOK {
		t.Fatal("the page handler served a file outside web/")
	}
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	s, _, _ := newTestServer(t, 2, Config{Log: slog.New(slog.NewJSONHandler(&buf, nil))})
	h := s.Handler()
	get(t, h, "/api/v1/images/0/neighbours?k=1")
	get(t, h, "/api/v1/images/zzz")
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0]["msg"] != "request" || lines[0]["status"] != float64(200) ||
		lines[0]["path"] != "/api/v1/images/0/neighbours" || lines[1]["status"] != float64(404) || lines[1]["level"] != "WARN" {
		t.Fatalf("log lines %v", lines)
	}
	if _, ok := lines[0]["ms"]; !ok {
		t.Fatal("no duration in the request log")
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:9": true, "127.8.0.1:1": true,
		"0.0.0.0:8080": false, ":8080": false, "192.168.1.4:80": false, "[::]:80": false, "bad": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}

var _ = io.Discard
