package server

import (
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vecimg/vecimg/internal/types"
)

// dupsServer is a fake store of 30 images (ten reds, greens and blues of
// nearly the same colour) plus a byte-identical copy of image 4.
func dupsServer(t *testing.T, cfg Config) (*Server, *fakeBackend) {
	t.Helper()
	s, f, dir := newTestServer(t, 30, cfg)
	if err := f.addFile("copy-of-4", filepath.Join(dir, "4.png")); err != nil {
		t.Fatal(err)
	}
	return s, f
}

func TestDups(t *testing.T) {
	s, f := dupsServer(t, Config{})
	h := s.Handler()
	rec := get(t, h, "/api/v1/dups")
	wantOK(t, rec)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf("Cache-Control %q", cc)
	}
	d := decode[dupsAnswer](t, rec)
	want, err := f.Dups(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Threshold != fakeDupThreshold || d.Images != 31 || d.Total != len(want.Groups) || len(d.Groups) != d.Total ||
		d.Offset != 0 || d.Limit != DefaultDupLimit || d.Generation != want.Generation {
		t.Fatalf("answer %+v, the backend says %d groups at %v", d, len(want.Groups), want.Threshold)
	}
	var identical *types.DupGroup
	for i, g := range d.Groups {
		if g.Group != i+1 || len(g.Members) < 2 || g.Members[0].ID != g.Keep || !g.Members[0].Keep || g.Members[0].Distance != 0 {
			t.Fatalf("group %d: %+v (want rank %d, the kept member first at distance 0)", i, g, i+1)
		}
		if i > 0 && len(g.Members) > len(d.Groups[i-1].Members) {
			t.Fatalf("groups not largest first: %d members after %d", len(g.Members), len(d.Groups[i-1].Members))
		}
		for _, m := range g.Members[1:] {
			if m.Keep || m.Width == 0 || m.Path == "" {
				t.Fatalf("group %d member %+v", g.Group, m)
			}
		}
		if !slices.Equal(memberIDs(g), memberIDs(want.Groups[i])) || g.Kind != want.Groups[i].Kind {
			t.Fatalf("group %d is %s %v, the backend's %s %v", g.Group, g.Kind, memberIDs(g), want.Groups[i].Kind, memberIDs(want.Groups[i]))
		}
		if g.Kind == "identical" {
			identical = &d.Groups[i]
		}
	}
	if identical == nil || !slices.Equal(memberIDs(*identical), []string{"4", "copy-of-4"}) || identical.Keep != "4" {
		t.Fatalf("the copy of 4 is not an identical group: %+v", d.Groups)
	}
	// The three colours make three near groups of ten.
	if d.Total != 4 || len(d.Groups[0].Members) != 10 || d.Groups[0].Kind != "near" {
		t.Fatalf("want 3 near groups of 10 and 1 identical group, got %d groups: %+v", d.Total, d.Groups)
	}

	// A page of groups.
	p := decode[dupsAnswer](t, get(t, h, "/api/v1/dups?offset=1&limit=2"))
	if p.Total != 4 || len(p.Groups) != 2 || p.Groups[0].Group != 2 || p.Offset != 1 || p.Limit != 2 {
		t.Fatalf("page offset=1 limit=2: %+v", p)
	}
	if p := decode[dupsAnswer](t, get(t, h, "/api/v1/dups?offset=10")); p.Groups == nil || len(p.Groups) != 0 || p.Total != 4 {
		t.Fatalf("past the last group: %+v", p)
	}
	// A tiny threshold leaves the identical group and the images of the
	// very same colour (4 and 25); the threshold is passed on and echoed.
	tiny := decode[dupsAnswer](t, get(t, h, "/api/v1/dups?threshold=1e-9"))
	if tiny.Threshold != 1e-9 || tiny.Total != 2 || tiny.Groups[0].Kind != "identical" ||
		!slices.Equal(memberIDs(tiny.Groups[1]), []string{"4", "25"}) {
		t.Fatalf("threshold=1e-9: %+v", tiny)
	}
	wide := decode[dupsAnswer](t, get(t, h, "/api/v1/dups?threshold=2"))
	if wide.Threshold != 2 || len(wide.Groups[0].Members) != 30 {
		t.Fatalf("threshold=2 should join every distinct image: %+v", wide.Groups)
	}
}

func memberIDs(g types.DupGroup) []string {
	out := make([]string, len(g.Members))
	for i, m := range g.Members {
		out[i] = m.ID
	}
	return out
}

func TestDupsEmptyStore(t *testing.T) {
	s, _, _ := newTestServer(t, 0, Config{})
	rec := get(t, s.Handler(), "/api/v1/dups")
	wantOK(t, rec)
	if d := decode[dupsAnswer](t, rec); d.Groups == nil || len(d.Groups) != 0 || d.Images != 0 || d.Total != 0 {
		t.Fatalf("empty store: %s", rec.Body.String())
	}
}

func TestDupsBadInput(t *testing.T) {
	s, f := dupsServer(t, Config{})
	h := s.Handler()
	for _, c := range []struct{ q, msg string }{
		{"threshold=abc", `threshold="abc" is not a number`},
		{"threshold=", "threshold is empty"},
		{"threshold=0", "threshold=0 is out of range"},
		{"threshold=-0.1", "threshold=-0.1 is out of range"},
		{"threshold=2.5", "threshold=2.5 is out of range"},
		{"threshold=NaN", `threshold="NaN" is not a number`},
		{"threshold=Inf", `threshold="Inf" is not a number`},
		{"threshold=1e999", `threshold="1e999" is not a number`},
		{"threshold=0.01,0.02", "is not a number"},
		{"limit=0", "limit=0 is out of range"},
		{"limit=10001", "limit=10001 is out of range"},
		{"offset=-1", "offset=-1 is out of range"},
		{"offset=x", `offset="x" is not a whole number`},
	} {
		wantError(t, get(t, h, "/api/v1/dups?"+c.q), http.StatusBadRequest, c.msg)
	}
	if n := f.calls["dups"]; n != 0 {
		t.Fatalf("bad requests reached the backend %d times", n)
	}
	rec := do(t, h, req{method: "POST", url: "/api/v1/dups", body: []byte(`{}`), header: map[string]string{"Content-Type": "application/json"}})
	wantError(t, rec, http.StatusMethodNotAllowed, "not allowed")
}

func TestDupsToken(t *testing.T) {
	s, f := dupsServer(t, Config{Token: "s3cret"})
	h := s.Handler()
	rec := get(t, h, "/api/v1/dups")
	wantError(t, rec, http.StatusUnauthorized, "needs a token")
	if rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatal("no WWW-Authenticate")
	}
	wantError(t, do(t, h, req{url: "/api/v1/dups?threshold=0.01", header: map[string]string{"Authorization": "Bearer s3cre"}}), http.StatusUnauthorized, "wrong token")
	// The token is checked before the parameters.
	wantError(t, do(t, h, req{url: "/api/v1/dups?threshold=abc", header: map[string]string{"X-Vecimg-Token": "nope"}}), http.StatusUnauthorized, "wrong token")
	if n := f.calls["dups"]; n != 0 {
		t.Fatalf("refused requests reached the backend %d times", n)
	}
	wantOK(t, do(t, h, req{url: "/api/v1/dups", header: map[string]string{"Authorization": "Bearer s3cret"}}))
	wantOK(t, do(t, h, req{url: "/api/v1/dups", header: map[string]string{"Cookie": TokenCookie + "=s3cret"}}))
}
