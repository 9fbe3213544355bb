package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/internal/types"
)

type dupsAnswer struct {
	types.Dups
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

func memberIDs(ms []types.DupMember) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// GET /api/v1/dups on a real store of the server's test photos, one of
// them copied under a second name: the answer is App.Dups's (the groups
// `vecimg dups` prints), with the copy as an identical group; a second
// request is answered from the cache, and a change of the store computes
// the groups again.
func TestDupsOnAStore(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	photos := filepath.Join(dir, "photos")
	entries, err := os.ReadDir("../server/testdata/photos")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		testfix.CopyFile(t, filepath.Join("../server/testdata/photos", e.Name()), filepath.Join(photos, e.Name()))
	}
	testfix.CopyFile(t, "../server/testdata/photos/121.jpg", filepath.Join(photos, "copy-of-121.jpg"))
	weights, _ := filepath.Abs("../../embed/vgg/testdata/vgg16_w32_zip.pth")
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(dir, "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := app.NewServeBackend(a, app.ServeBackendOptions{Model: app.ModelOptions{Weights: weights, NoDownload: true}})
	ctx := context.Background()
	if rep, err := b.Ingest(ctx, photos, func(types.IngestProgress) {}); err != nil || rep.Stored+rep.Copied != len(entries)+1 {
		t.Fatalf("ingest: %+v, %v", rep, err)
	}
	h := server.New(b, server.Config{}).Handler()

	d := decode[dupsAnswer](t, call(t, h, "GET", "/api/v1/dups", "", ""), 200)
	want, err := a.Dups(ctx, app.DupsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Threshold != dedup.DefaultThreshold || d.Images != len(entries)+1 || d.Cached || d.Total != len(want.Groups) ||
		len(d.Groups) != len(want.Groups) || d.InGroups != want.Stats.InGroups || d.Seconds <= 0 {
		t.Fatalf("answer %+v; vecimg dups finds %d groups among %d images", d, len(want.Groups), want.Images)
	}
	var identical []string
	for i, g := range d.Groups {
		w := want.Groups[i]
		if g.Group != w.Group || g.Kind != w.Kind || g.Keep != w.Keep || len(g.Members) != len(w.Members) {
			t.Fatalf("group %d: %+v, vecimg dups says %+v", i+1, g, w)
		}
		for j, m := range g.Members {
			wm := w.Members[j]
			if m.ID != wm.ID || m.Path != wm.Path || m.Width != wm.Width || m.Height != wm.Height || m.Keep != wm.Keep ||
				m.Distance != wm.Distance || m.Copies != wm.Copies || m.SHA256 != wm.SHA256 || len(m.SHA256) != 64 {
				t.Fatalf("group %d member %d: %+v, vecimg dups says %+v", g.Group, j, m, wm)
			}
		}
		if !g.Members[0].Keep || g.Members[0].ID != g.Keep {
			t.Fatalf("group %d does not list its kept image first: %+v", g.Group, g)
		}
		if g.Kind == string(dedup.Identical) {
			identical = memberIDs(g.Members)
			slices.Sort(identical)
			if g.Members[1].Distance != 0 {
				t.Fatalf("identical copy at distance %v", g.Members[1].Distance)
			}
		}
	}
	if !slices.Equal(identical, []string{"121", "copy-of-121"}) {
		t.Fatalf("the copy of 121 is not an identical group: %+v", d.Groups)
	}
	t.Logf("%d groups at the default threshold in %.3f s", d.Total, d.Seconds)

	// The same request again: from the cache, the same groups.
	again := decode[dupsAnswer](t, call(t, h, "GET", "/api/v1/dups", "", ""), 200)
	if !again.Cached || again.Seconds != d.Seconds || again.Generation != d.Generation || !groupsEqual(again.Groups, d.Groups) {
		t.Fatalf("second request: cached %v, seconds %v (first %v)", again.Cached, again.Seconds, d.Seconds)
	}
	// Another threshold is another computation, passed on to App.Dups.
	tiny := decode[dupsAnswer](t, call(t, h, "GET", "/api/v1/dups?threshold=0.000001", "", ""), 200)
	wantTiny, err := a.Dups(ctx, app.DupsOptions{Threshold: 0.000001})
	if err != nil {
		t.Fatal(err)
	}
	if tiny.Cached || tiny.Threshold != 0.000001 || tiny.Total != len(wantTiny.Groups) {
		t.Fatalf("threshold=0.000001: %+v, vecimg dups finds %d groups", tiny, len(wantTiny.Groups))
	}

	// A new image changes the generation: computed again.
	testfix.CopyFile(t, "../server/testdata/photos/527.jpg", filepath.Join(photos, "more", "copy-of-527.jpg"))
	if _, err := b.Ingest(ctx, photos, func(types.IngestProgress) {}); err != nil {
		t.Fatal(err)
	}
	after := decode[dupsAnswer](t, call(t, h, "GET", "/api/v1/dups", "", ""), 200)
	if after.Cached || after.Images != len(entries)+2 || after.Generation == d.Generation {
		t.Fatalf("after an ingest: cached %v, %d images, generation %d (was %d)", after.Cached, after.Images, after.Generation, d.Generation)
	}
	found := false
	for _, g := range after.Groups {
		ids := memberIDs(g.Members)
		slices.Sort(ids)
		found = found || (g.Kind == string(dedup.Identical) && slices.Equal(ids, []string{"527", "more/copy-of-527"}))
	}
	if !found {
		t.Fatalf("the new copy of 527 is in no identical group: %+v", after.Groups)
	}
}

func groupsEqual(a, b []types.DupGroup) bool {
	return slices.EqualFunc(a, b, func(x, y types.DupGroup) bool {
		return x.Group == y.Group && x.Kind == y.Kind && x.Keep == y.Keep && reflect.DeepEqual(x.Members, y.Members)
	})
}

// Concurrent first requests share one computation; a request that gives
// up (its context ends) leaves nothing behind; a removal recomputes.
func TestDupsCacheShared(t *testing.T) {
	a, _ := importedStore(t, 60) // three tight groups of 20 vectors
	b := app.NewServeBackend(a, app.ServeBackendOptions{})
	ctx := context.Background()

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Dups(gone, 0.05); !errors.Is(err, context.Canceled) {
		t.Fatalf("request with an ended context: %v", err)
	}

	// Hold the computation back until all requests wait for it.
	release := app.HoldDupsRun(b)
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); app.DupsWaiters(b, 0.05) != n; {
			if time.Now().After(deadline) {
				t.Fatalf("%d requests wait for the computation, want %d", app.DupsWaiters(b, 0.05), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// The only request waiting gives up: the computation is dropped.
	leaving, leave := context.WithCancel(ctx)
	left := make(chan error, 1)
	go func() { _, err := b.Dups(leaving, 0.05); left <- err }()
	waitFor(1)
	leave()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("request that gave up: %v", err)
	}
	waitFor(0)

	const n = 8
	var wg sync.WaitGroup
	res := make([]types.Dups, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = b.Dups(ctx, 0.05)
		}()
	}
	waitFor(n)
	release()
	wg.Wait()
	computed := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !res[i].Cached {
			computed++
		}
		if len(res[i].Groups) != 3 || !groupsEqual(res[i].Groups, res[0].Groups) {
			t.Fatalf("request %d: %d groups (want the three groups of 20)", i, len(res[i].Groups))
		}
	}
	if computed != 1 {
		t.Fatalf("%d concurrent requests ran %d computations, want 1", n, computed)
	}
	for _, g := range res[0].Groups {
		if len(g.Members) != 20 || g.Kind != "near" {
			t.Fatalf("group %+v", g)
		}
	}

	if _, err := a.Remove(ctx, app.RemoveOptions{IDs: []string{"1"}}); err != nil {
		t.Fatal(err)
	}
	after, err := b.Dups(ctx, 0.05)
	if err != nil || after.Cached || after.Images != 59 || after.Generation == res[0].Generation {
		t.Fatalf("after removing 1: cached %v, %d images, generation %d (was %d), %v", after.Cached, after.Images, after.Generation, res[0].Generation, err)
	}
	if again, _ := b.Dups(ctx, 0.05); !again.Cached {
		t.Fatal("not cached after the recomputation")
	}
}
