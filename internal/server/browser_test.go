package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/internal/types"
)

const chromium = "/usr/bin/chromium"

// needBrowser skips a test when Debian's chromium is missing, unless
// VECIMG_REQUIRE_BROWSER is set (.ci/run sets it after installing it).
func needBrowser(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("VECIMG_REQUIRE_BROWSER") != "" {
			t.Fatalf("%s is required (VECIMG_REQUIRE_BROWSER is set): %v", chromium, err)
		}
		t.Skipf("no browser for the page test: %s is missing (apt-get install -y chromium, or set VECIMG_REQUIRE_BROWSER=1 to make this a failure)", chromium)
	}
}

// screenshotDir is where the browser test saves its PNGs: $VECIMG_SCREENSHOTS
// or a temporary folder.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("VECIMG_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// serve runs a server for b on a free loopback port until the test ends.
func serve(t *testing.T, b server.Backend, cfg server.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.New(b, cfg).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// api GETs or POSTs a JSON call of the served API.
func api[T any](t *testing.T, method, u, ct string, body []byte) T {
	t.Helper()
	rq, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		rq.Header.Set("Content-Type", ct)
	}
	res, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		var e map[string]any
		json.NewDecoder(res.Body).Decode(&e)
		t.Fatalf("%s %s: %s %v", method, u, res.Status, e)
	}
	var v T
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

type neighbours struct {
	Results []types.Neighbour `json:"results"`
}

func ids(ns []types.Neighbour) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

// browser drives one headless Chromium tab.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors of the page
}

func newBrowser(t *testing.T, base string) *browser {
	b := &browser{t: t, base: base, shots: screenshotDir(t)}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.mu.Lock()
			b.errors = append(b.errors, "exception: "+ev.ExceptionDetails.Text+" "+describe(ev.ExceptionDetails.Exception))
			b.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, describe(a))
				}
				b.mu.Lock()
				b.errors = append(b.errors, "console.error: "+strings.Join(parts, " "))
				b.mu.Unlock()
			}
		}
	}))
	ctx, cancelTime := context.WithTimeout(ctx, 5*time.Minute)
	b.ctx = ctx
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	// The first run starts the browser, which lives as long as the context
	// of that run: b.ctx, not the per-step timeouts of do.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("cannot start %s: %v", chromium, err)
	}
	return b
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Value)
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		state, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.hash + " | error banner: " + document.querySelector("#error").textContent + " | view: " + document.querySelector("#view").innerText.slice(0, 300)`))
		b.t.Fatalf("browser: %s: %v (page errors: %v; page: %s)", what, err, b.pageErrors(), state)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("browser: evaluating %s: %v", js, err)
	}
	return v
}

// poll waits until the expression is truthy.
func poll(js string) chromedp.Action[chromedp.Void] {
	p := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := p(ctx, t)
		return chromedp.Void{}, err
	}
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errors)
}

// waitReady waits until the page has rendered the view for hash.
func (b *browser) waitReady(hash string) {
	b.t.Helper()
	b.do("waiting for view "+hash, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#view[data-ready=%q]`, hash))))
}

func (b *browser) screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", p)
	return p
}

func (b *browser) hash() string { return eval[string](b, "location.hash") }

// checkPage drives the library page of the server at base the way a user
// does and checks every view against the API. upload is an image file to
// search with; it is not stored.
func checkPage(t *testing.T, base, upload string, clusterK int) {
	b := newBrowser(t, base)
	info := api[types.ServerInfo](t, "GET", base+"/api/v1/info", "", nil)
	if info.Count < 6 {
		t.Fatalf("the page test needs a store of at least 6 images, got %d", info.Count)
	}

	// 1. Overview before any clustering: one strip of all images; then
	// cluster from the page's form.
	b.do("open the page", chromedp.Navigate(base+"/"))
	b.waitReady("#/")
	if n := eval[int](b, `document.querySelectorAll(".strip").length`); n != 1 {
		t.Fatalf("unclustered overview shows %d strips, want 1", n)
	}
	b.do("cluster from the page",
		chromedp.SetValue(chromedp.CSS(`#cluster-form input[name=k]`), fmt.Sprint(clusterK)),
		chromedp.Click(chromedp.CSS(`#cluster-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`.strip[data-label="0"]`)))
	b.waitReady("#/")
	cl := api[types.Clusters](t, "GET", base+"/api/v1/clusters", "", nil)
	if cl.Run == nil || cl.Run.K != clusterK {
		t.Fatalf("the page's Cluster button did not run a clustering: %+v", cl)
	}
	var wantStrips []string
	for _, c := range cl.Clusters {
		if c.Size > 0 {
			wantStrips = append(wantStrips, fmt.Sprint(c.Label))
		}
	}
	gotStrips := eval[[]string](b, `[...document.querySelectorAll(".strip")].map(s => s.dataset.label)`)
	if !slices.Equal(gotStrips, wantStrips) {
		t.Fatalf("overview strips %v, want every cluster largest first %v (sizes %+v)", gotStrips, wantStrips, cl.Clusters)
	}
	stripCounts := eval[[]int](b, `[...document.querySelectorAll(".strip")].map(s => s.querySelectorAll(".thumb").length)`)
	for i, c := range cl.Clusters {
		if c.Size > 0 && stripCounts[i] != min(c.Size, 24) {
			t.Fatalf("strip of cluster %d shows %d images, its size is %d", c.Label, stripCounts[i], c.Size)
		}
	}
	// Thumbnails load (naturalWidth > 0 once decoded).
	b.do("thumbnails load", poll(`[...document.querySelectorAll(".strip img")].slice(0, 6).every(i => i.complete && i.naturalWidth > 0)`))
	b.screenshot("overview")

	// 2. Click the first image of the largest cluster: its neighbours are
	// the API's, in the API's order.
	strip := eval[[]string](b, `[...document.querySelectorAll(".strip")[0].querySelectorAll(".thumb")].map(a => a.dataset.id)`)
	first := strip[0]
	b.do("open an image", chromedp.Click(chromedp.CSS(`.strip .thumb`)))
	b.waitReady("#/image/" + url.PathEscape(first))
	k := eval[int](b, `+document.querySelector("#k").value`)
	want := api[neighbours](t, "GET", fmt.Sprintf("%s/api/v1/images/%s/neighbours?k=%d", base, url.PathEscape(first), k), "", nil)
	got := eval[[]string](b, `[...document.querySelectorAll("#neighbours .thumb")].map(a => a.dataset.id)`)
	if len(got) != min(k, info.Count-1) || !slices.Equal(got, ids(want.Results)) {
		t.Fatalf("image %s shows neighbours %v, the API says %v (k=%d)", first, got, ids(want.Results), k)
	}
	caps := eval[[]string](b, `[...document.querySelectorAll("#neighbours .thumb .cap")].map(c => c.textContent)`)
	if want := fmt.Sprintf("%.4f · %s", want.Results[0].Distance, want.Results[0].ID); caps[0] != want {
		t.Fatalf("first neighbour captioned %q, want %q (distance and id)", caps[0], want)
	}
	b.do("main image loads", poll(`(i => i.complete && i.naturalWidth > 0)(document.querySelector(".detail .main img"))`))
	b.screenshot("image")

	// 3. Keyboard: → opens the next image of the strip, Esc goes back to
	// the list the image was opened from.
	b.do("press →", chromedp.KeyEvent(kb.ArrowRight))
	b.waitReady("#/image/" + url.PathEscape(strip[1]))
	b.do("press Esc", chromedp.KeyEvent(kb.Escape))
	b.waitReady("#/cluster/" + gotStrips[0])
	if n := eval[int](b, `document.querySelectorAll("#grid .thumb").length`); n != min(cl.Clusters[0].Size, 100) {
		t.Fatalf("grid of cluster %s shows %d images, want %d", gotStrips[0], n, min(cl.Clusters[0].Size, 100))
	}

	// 4. Click through: grid → image → a neighbour → its neighbours.
	b.do("open from the grid", chromedp.Click(chromedp.CSS(`#grid .thumb`)))
	b.waitReady("#/image/" + url.PathEscape(first))
	second := eval[string](b, `document.querySelectorAll("#neighbours .thumb")[1].dataset.id`)
	b.do("open a neighbour", chromedp.Click(chromedp.CSS(`#neighbours .thumb:nth-child(2)`)))
	b.waitReady("#/image/" + url.PathEscape(second))
	if id := eval[string](b, `document.querySelector("#detail").dataset.id`); id != second {
		t.Fatalf("clicking neighbour %s opened %s", second, id)
	}
	want = api[neighbours](t, "GET", fmt.Sprintf("%s/api/v1/images/%s/neighbours?k=%d", base, url.PathEscape(second), k), "", nil)
	if got := eval[[]string](b, `[...document.querySelectorAll("#neighbours .thumb")].map(a => a.dataset.id)`); !slices.Equal(got, ids(want.Results)) {
		t.Fatalf("neighbour page %s shows %v, the API says %v", second, got, ids(want.Results))
	}

	// 5. Search with a file from the file picker: the matches are the API's.
	upload, err := filepath.Abs(upload) // the browser wants an absolute path
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(upload)
	if err != nil {
		t.Fatal(err)
	}
	b.do("upload a file",
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{upload}),
		chromedp.WaitVisible(chromedp.CSS(`#search-results[data-loaded="true"]`)))
	wantSearch := api[neighbours](t, "POST", fmt.Sprintf("%s/api/v1/search?k=%d", base, k), "application/octet-stream", data)
	gotSearch := eval[[]string](b, `[...document.querySelectorAll("#search-results .thumb")].map(a => a.dataset.id)`)
	if len(gotSearch) == 0 || !slices.Equal(gotSearch, ids(wantSearch.Results)) {
		t.Fatalf("search with %s shows %v, the API says %v", upload, gotSearch, ids(wantSearch.Results))
	}
	if n := api[types.ServerInfo](t, "GET", base+"/api/v1/info", "", nil).Count; n != info.Count {
		t.Fatalf("the uploaded image was stored: %d images, was %d", n, info.Count)
	}
	b.screenshot("search")

	// 5b. Drag and drop: a file dropped on the page is searched the same way
	// (the stored original of the first image, fetched by the page itself).
	b.do("drop a file", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(async () => {
		const blob = await (await fetch("/api/v1/images/%s/file")).blob();
		const dt = new DataTransfer();
		dt.items.add(new File([blob], "dropped.jpg", {type: blob.type}));
		document.body.dispatchEvent(new DragEvent("dragenter", {dataTransfer: dt, bubbles: true}));
		document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`, url.PathEscape(first)), chromedp.EvalAsValue, chromedp.EvalAwaitPromise),
		poll(`document.querySelector(".query h2") && document.querySelector(".query h2").textContent === "Images like dropped.jpg" && document.querySelector("#search-results[data-loaded=true]") !== null`))
	orig, err := http.Get(base + "/api/v1/images/" + url.PathEscape(first) + "/file")
	if err != nil {
		t.Fatal(err)
	}
	origData, _ := io.ReadAll(orig.Body)
	orig.Body.Close()
	wantDrop := api[neighbours](t, "POST", fmt.Sprintf("%s/api/v1/search?k=%d", base, k), "application/octet-stream", origData)
	if got := eval[[]string](b, `[...document.querySelectorAll("#search-results .thumb")].map(a => a.dataset.id)`); !slices.Equal(got, ids(wantDrop.Results)) {
		t.Fatalf("dropping %s's file shows %v, the API says %v", first, got, ids(wantDrop.Results))
	}
	if hidden := eval[bool](b, `document.querySelector("#drop").hidden`); !hidden {
		t.Fatal("the drop overlay stayed on screen after the drop")
	}

	// 6. Map: one point per image; hovering shows that image's thumbnail;
	// clicking opens it.
	b.do("open the map", chromedp.Navigate(base+"/#/map"))
	b.waitReady("#/map")
	if n := eval[int](b, `+document.querySelector("#map").dataset.points`); n != info.Count {
		t.Fatalf("map draws %d points, the store holds %d images", n, info.Count)
	}
	pt := eval[struct {
		X, Y float64
		ID   string
	}](b, `(() => { const r = document.querySelector("#map").getBoundingClientRect(); const q = window.vecimgMapPoints[0];
		return {X: r.left + q[0], Y: r.top + q[1], ID: q[2].id}; })()`)
	b.do("hover a point", chromedp.MouseEvent(chromedp.MouseMoved, pt.X, pt.Y),
		chromedp.WaitVisible(chromedp.CSS(`#tip`)),
		poll(`(i => i.complete && i.naturalWidth > 0)(document.querySelector("#tip img"))`))
	if tip := eval[string](b, `document.querySelector("#tip span").textContent`); !strings.HasPrefix(tip, pt.ID) {
		t.Fatalf("hovering point %s shows %q", pt.ID, tip)
	}
	b.screenshot("map")
	b.do("click a point", chromedp.MouseClickXY(pt.X, pt.Y))
	b.waitReady("#/image/" + url.PathEscape(pt.ID))

	// 6b. Duplicates, from the navigation: one row per group of the API,
	// kept image first, captioned with how it matched and its size; a click opens the
	// image and Esc comes back.
	dups := checkDups(t, b, base)

	// 7. Phone width: nothing wider than the screen.
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/#/"))
	b.waitReady("#/")
	if w := eval[[]int](b, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Fatalf("at phone width the page is %d px wide in a %d px window", w[0], w[1])
	}
	b.do("phone image view", chromedp.Navigate(base+"/#/image/"+url.PathEscape(first)))
	b.waitReady("#/image/" + url.PathEscape(first))
	if w := eval[[]int](b, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Fatalf("at phone width the image view is %d px wide in a %d px window", w[0], w[1])
	}
	b.screenshot("phone-image")
	b.do("phone duplicates", chromedp.Navigate(base+"/#/dups"))
	b.waitReady("#/dups")
	if w := eval[[]int](b, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Fatalf("at phone width the duplicates view is %d px wide in a %d px window", w[0], w[1])
	}
	if n := eval[int](b, `document.querySelectorAll(".dupgroup").length`); n != min(len(dups.Groups), 50) {
		t.Fatalf("at phone width the duplicates view shows %d groups, want %d", n, min(len(dups.Groups), 50))
	}
	b.do("phone thumbnails load", poll(onScreenImagesLoaded(".dupgroup img")))
	b.screenshot("phone-dups")

	if errs := b.pageErrors(); len(errs) > 0 {
		t.Fatalf("the page reported errors: %v", errs)
	}
}

// dupsAnswer is GET /api/v1/dups.
type dupsAnswer struct {
	types.Dups
	Total int `json:"total"`
}

// onScreenImagesLoaded is true once every image matching sel that lies in
// the window is decoded (lazy images load when they come into view).
func onScreenImagesLoaded(sel string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(i => { const r = i.getBoundingClientRect();
		return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth; }).every(i => i.complete && i.naturalWidth > 0)`, sel)
}

// checkDups opens the Duplicates view from the navigation and checks it
// against the API; the store must hold at least one group.
func checkDups(t *testing.T, b *browser, base string) dupsAnswer {
	t.Helper()
	want := api[dupsAnswer](t, "GET", base+"/api/v1/dups", "", nil)
	if want.Total == 0 || len(want.Groups) == 0 {
		t.Fatalf("the page test needs a store with a duplicate group: %+v", want)
	}
	b.do("open Duplicates from the navigation", chromedp.Click(chromedp.CSS(`nav a[data-nav="dups"]`)))
	b.waitReady("#/dups")
	type row struct {
		Group int
		Kind  string
		IDs   []string
		Caps  []string
		Keep  []bool
	}
	rows := eval[[]row](b, `[...document.querySelectorAll(".dupgroup")].map(s => ({
		Group: +s.dataset.group, Kind: s.dataset.kind,
		IDs: [...s.querySelectorAll(".thumb")].map(a => a.dataset.id),
		Caps: [...s.querySelectorAll(".thumb .cap")].map(c => c.textContent),
		Keep: [...s.querySelectorAll(".thumb")].map(a => a.classList.contains("keep") && a.querySelector(".badge") !== null)}))`)
	if len(rows) != min(len(want.Groups), 50) {
		t.Fatalf("the duplicates view shows %d groups, the API %d", len(rows), len(want.Groups))
	}
	for i, r := range rows {
		g := want.Groups[i]
		var ids []string
		for _, m := range g.Members {
			ids = append(ids, m.ID)
		}
		if r.Group != g.Group || r.Kind != g.Kind || !slices.Equal(r.IDs, ids) {
			t.Fatalf("duplicates row %d shows group %d (%s) %v, the API says group %d (%s) %v", i, r.Group, r.Kind, r.IDs, g.Group, g.Kind, ids)
		}
		for j, m := range g.Members {
			// Each member says how it matched its kept image: the cosine
			// distance, the pHash distance when both have hashes, and the
			// signals within their thresholds.
			how := fmt.Sprintf("%.4f", m.Distance)
			if m.PHash >= 0 {
				how += fmt.Sprintf(" · pHash %d", m.PHash)
				if m.Mirrored {
					how += " (mirrored)"
				}
				if m.Cropped {
					how += " (cropped)"
				}
			}
			if len(m.MatchedBy) > 0 {
				how += " · " + strings.Join(m.MatchedBy, "+")
			}
			cap := fmt.Sprintf("%s · %d×%d\n%s", how, m.Width, m.Height, m.ID)
			if m.Keep {
				cap = fmt.Sprintf("keep · %d×%d\n%s", m.Width, m.Height, m.ID)
			}
			if r.Caps[j] != cap || r.Keep[j] != m.Keep {
				t.Fatalf("group %d member %s captioned %q (marked keep: %v), want %q (keep %v)", g.Group, m.ID, r.Caps[j], r.Keep[j], cap, m.Keep)
			}
		}
		if !g.Members[0].Keep || g.Members[0].ID != g.Keep {
			t.Fatalf("group %d of the API does not list its kept image first: %+v", g.Group, g)
		}
	}
	summary := eval[string](b, `document.querySelector("#dups-summary").textContent`)
	if wantStart := fmt.Sprintf("%d groups, ", want.Total); !strings.HasPrefix(summary, wantStart) || !strings.Contains(summary, fmt.Sprint(want.Threshold)) {
		t.Fatalf("duplicates summary %q, want it to start %q and name the threshold %v", summary, wantStart, want.Threshold)
	}
	b.do("duplicate thumbnails load", poll(onScreenImagesLoaded(".dupgroup img")))
	b.screenshot("dups")

	// Click the second member of the first group: its image view; Esc
	// goes back to the duplicates.
	second := want.Groups[0].Members[1].ID
	b.do("open a duplicate", chromedp.Click(chromedp.CSS(`.dupgroup .thumb:nth-child(2)`)))
	b.waitReady("#/image/" + url.PathEscape(second))
	b.do("press Esc", chromedp.KeyEvent(kb.Escape))
	b.waitReady("#/dups")

	// A threshold that finds nothing but identical files says so, or
	// shows only identical groups.
	b.do("set a tiny threshold",
		chromedp.SetValue(chromedp.CSS(`#dups-threshold`), "0.000001"),
		chromedp.Click(chromedp.CSS(`#dups-form button`)))
	b.waitReady("#/dups/0.000001")
	tiny := api[dupsAnswer](t, "GET", base+"/api/v1/dups?threshold=0.000001", "", nil)
	if n := eval[int](b, `document.querySelectorAll(".dupgroup").length`); n != min(len(tiny.Groups), 50) {
		t.Fatalf("at threshold 0.000001 the view shows %d groups, the API %d", n, len(tiny.Groups))
	}
	if tiny.Total == 0 {
		if s := eval[string](b, `document.querySelector("#dups-summary").textContent`); !strings.HasPrefix(s, "No duplicates at threshold 0.000001") {
			t.Fatalf("empty duplicates view says %q", s)
		}
	}
	if active := eval[string](b, `document.querySelector("nav a.active").dataset.nav`); active != "dups" {
		t.Fatalf("the navigation marks %q, want dups", active)
	}
	return want
}

// TestBrowserFake checks the page against the in-memory backend: no model
// or ONNX Runtime needed, only the browser.
func TestBrowserFake(t *testing.T) {
	needBrowser(t)
	b, dir := server.FakeStore(t, 30)
	base := serve(t, b, server.Config{})
	t.Setenv("VECIMG_SCREENSHOTS", filepath.Join(screenshotDir(t), "fake"))
	checkPage(t, base, filepath.Join(dir, "4.png"), 3)
}

// TestBrowserDupsPaging: more groups than one page (50) are loaded as the
// view scrolls, in the API's order, and Esc goes back to the overview.
func TestBrowserDupsPaging(t *testing.T) {
	needBrowser(t)
	base := serve(t, server.FakeStoreCopies(t, 60), server.Config{})
	want := api[dupsAnswer](t, "GET", base+"/api/v1/dups", "", nil)
	if want.Total <= 50 {
		t.Fatalf("the paging test needs more than 50 groups, got %d", want.Total)
	}
	b := newBrowser(t, base)
	b.do("open the duplicates", chromedp.Navigate(base+"/#/dups"))
	b.waitReady("#/dups")
	if n := eval[int](b, `document.querySelectorAll(".dupgroup").length`); n != 50 {
		t.Fatalf("the first page shows %d groups, want 50", n)
	}
	b.do("scroll to the end", poll(`(scrollTo(0, document.body.scrollHeight), document.querySelector("#dups").dataset.loading === "false")`))
	got := eval[[]int](b, `[...document.querySelectorAll(".dupgroup")].map(s => +s.dataset.group)`)
	if len(got) != want.Total {
		t.Fatalf("after scrolling the view shows %d groups, the API %d", len(got), want.Total)
	}
	for i, g := range got {
		if g != want.Groups[i].Group {
			t.Fatalf("group %d shown as number %d, want %d", i, g, want.Groups[i].Group)
		}
	}
	b.do("press Esc", chromedp.KeyEvent(kb.Escape))
	b.waitReady("#/")
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Fatalf("the page reported errors: %v", errs)
	}
}

// TestBrowser serves a real store: the 18 photos of testdata/photos (six
// source photos, three variants each), ingested by --watch with the tiny
// width-32 VGG16 fixture, and drives the page against it. Then a new photo
// dropped into the watched folder becomes searchable.
func TestBrowser(t *testing.T) {
	needBrowser(t)
	testfix.NeedRuntime(t)
	photos := filepath.Join(t.TempDir(), "photos")
	entries, err := os.ReadDir("testdata/photos")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		testfix.CopyFile(t, filepath.Join("testdata/photos", e.Name()), filepath.Join(photos, e.Name()))
	}
	// A byte-identical copy under another name: an identical duplicate
	// group for the Duplicates view.
	testfix.CopyFile(t, filepath.Join("testdata/photos", entries[0].Name()), filepath.Join(photos, "copy-of-"+entries[0].Name()))
	stored := len(entries) + 1
	weights, err := filepath.Abs("../../embed/vgg/testdata/vgg16_w32_zip.pth")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), app.Config{DB: filepath.Join(t.TempDir(), "photos.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b := app.NewServeBackend(a, app.ServeBackendOptions{Model: app.ModelOptions{Weights: weights, NoDownload: true}})
	base := serve(t, b, server.Config{WatchDir: photos, Rescan: -1})

	waitCount := func(n int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			in := api[struct {
				Count  int `json:"count"`
				Ingest struct {
					LastErr string `json:"last_error"`
				} `json:"ingest"`
			}](t, "GET", base+"/api/v1/info", "", nil)
			if in.Ingest.LastErr != "" {
				t.Fatalf("watch ingest failed: %s", in.Ingest.LastErr)
			}
			if in.Count == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the store holds %d images after %v, want %d", in.Count, within, n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitCount(stored, 60*time.Second)
	t.Setenv("VECIMG_SCREENSHOTS", screenshotDir(t))
	checkPage(t, base, "testdata/query.jpg", 3)
	// The page's visits to the Duplicates view were answered from one
	// computation, kept for this store generation.
	if d := api[dupsAnswer](t, "GET", base+"/api/v1/dups", "", nil); !d.Cached {
		t.Fatalf("the duplicates were computed again for an unchanged store: %+v", d)
	}

	// A new photo in the watched folder is searchable within seconds, and
	// is then the nearest match of its own file.
	start := time.Now()
	testfix.CopyFile(t, "testdata/query.jpg", filepath.Join(photos, "new", "query.jpg"))
	waitCount(stored+1, 20*time.Second)
	t.Logf("a new photo was searchable %.1f s after it was written", time.Since(start).Seconds())
	data, err := os.ReadFile("testdata/query.jpg")
	if err != nil {
		t.Fatal(err)
	}
	res := api[neighbours](t, "POST", base+"/api/v1/search?k=3", "image/jpeg", data)
	if len(res.Results) == 0 || res.Results[0].ID != "new/query" || res.Results[0].Distance > 1e-4 {
		t.Fatalf("search with the new photo's own file: %+v", res.Results)
	}
	nb := api[neighbours](t, "GET", base+"/api/v1/images/"+url.PathEscape("new/query")+"/neighbours?k=3", "", nil)
	if len(nb.Results) != 3 {
		t.Fatalf("neighbours of the new photo: %+v", nb.Results)
	}
}

// TestBrowserIngestBar: while --watch ingests, the page shows its progress,
// and hides the bar when the ingest is done.
func TestBrowserIngestBar(t *testing.T) {
	needBrowser(t)
	fb, dir, release := server.FakeStoreHeldIngest(t, 6)
	t.Cleanup(release)
	base := serve(t, fb, server.Config{WatchDir: dir, Rescan: -1})
	b := newBrowser(t, base)
	b.do("open the page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#ingest")))
	if txt := eval[string](b, `document.querySelector("#ingest-text").textContent`); !strings.HasPrefix(txt, "Ingesting "+dir) {
		t.Fatalf("ingest bar says %q", txt)
	}
	b.screenshot("ingest-bar")
	release()
	b.do("bar hidden after the ingest", poll(`document.querySelector("#ingest").hidden`))
}
