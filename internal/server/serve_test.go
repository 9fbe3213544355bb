package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs s.Serve on a free loopback port until the test ends.
func startServer(t testing.TB, s *Server) (base string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-done:
			case <-time.After(30 * time.Second):
				serr = fmt.Errorf("Serve did not return 30 s after the stop")
			}
		})
		return serr
	}
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String(), stop
}

func getJSON[T any](t testing.TB, u string) T {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v T
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %s", u, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWatchIngestsNewFiles(t *testing.T) {
	old := settle
	settle = 100 * time.Millisecond
	defer func() { settle = old }()
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 40, 40, color.RGBA{200, 10, 10, 255})
	os.WriteFile(filepath.Join(dir, "broken.jpg"), []byte("not a jpeg"), 0o644)
	f := newFake()
	logs := &syncBuffer{}
	s := New(f, Config{WatchDir: dir, Rescan: -1, Log: slog.New(slog.NewTextHandler(logs, nil))})
	base, stop := startServer(t, s)

	waitFor(t, "the first ingest", 5*time.Second, func() bool {
		return getJSON[watchSnapshot](t, base+"/api/v1/ingest").Runs >= 1
	})
	snap := getJSON[watchSnapshot](t, base+"/api/v1/ingest")
	if snap.Dir != dir || !snap.Watching || snap.Last == nil || snap.Last.Stored != 1 || len(snap.Last.Bad) != 1 {
		t.Fatalf("after the first ingest: %+v", snap)
	}
	// A new file in a new sub-folder becomes searchable without a restart.
	writePNG(t, filepath.Join(dir, "sub", "b.png"), 40, 40, color.RGBA{10, 200, 10, 255})
	waitFor(t, "sub/b to be listed", 5*time.Second, func() bool {
		return getJSON[listAnswer](t, base+"/api/v1/images").Total == 2
	})
	nb := getJSON[neighboursAnswer](t, base+"/api/v1/images/a/neighbours?k=5")
	if len(nb.Results) != 1 || nb.Results[0].ID != "sub/b" {
		t.Fatalf("neighbours of a: %+v", nb)
	}
	if info := getJSON[infoAnswer](t, base+"/api/v1/info"); info.Ingest.Stored != 2 || info.Count != 2 {
		t.Fatalf("info.ingest %+v", info.Ingest)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	l := logs.String()
	for _, want := range []string{"msg=serving", "bad file skipped", "broken.jpg", "msg=stopped"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
	if strings.Count(l, "bad file skipped") != 1 {
		t.Errorf("a bad file is logged once, not on every run:\n%s", l)
	}
}

// Rescans ingest again only when something under the folder changed; a
// change that sends no create or write event (here a new modification
// time) is found by the rescan.
func TestPeriodicRescan(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.png")
	writePNG(t, p, 20, 20, color.RGBA{1, 2, 3, 255})
	f := newFake()
	rescans := make(chan bool, 100)
	rescanned = func(changed bool) {
		select {
		case rescans <- changed:
		default:
		}
	}
	defer func() { rescanned = nil }()
	s := New(f, Config{WatchDir: dir, Rescan: 20 * time.Millisecond})
	base, stop := startServer(t, s)
	defer stop() // before rescanned is reset: the watch goroutine reads it
	waitFor(t, "the first ingest", 5*time.Second, func() bool {
		return getJSON[watchSnapshot](t, base+"/api/v1/ingest").Runs >= 1
	})
	for i := range 6 { // six rescans of an unchanged folder
		select {
		case changed := <-rescans:
			if changed {
				t.Fatalf("rescan %d found a change in an unchanged folder", i+1)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no rescan %d within 10 s", i+1)
		}
	}
	if runs := getJSON[watchSnapshot](t, base+"/api/v1/ingest").Runs; runs != 1 {
		t.Fatalf("%d ingests of an unchanged folder, want 1", runs)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a rescan after the change", 5*time.Second, func() bool {
		return getJSON[watchSnapshot](t, base+"/api/v1/ingest").Runs == 2
	})
}

// Queries are answered while an ingest runs; a stop waits for the running
// ingest to return (the backend commits its batch in flight) and for the
// requests in flight.
func TestStopDrainsAndWaitsForIngest(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 40, 40, color.RGBA{200, 10, 10, 255})
	f, _ := fakeStore(t, 3)
	inIngest := make(chan struct{})
	var committed bool
	var mu sync.Mutex
	f.ingest = func(ctx context.Context) {
		close(inIngest)
		<-ctx.Done()
		time.Sleep(200 * time.Millisecond) // finishing the batch in flight
		mu.Lock()
		committed = true
		mu.Unlock()
	}
	active := make(chan struct{}, 100)
	connState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateActive {
			select {
			case active <- struct{}{}:
			default:
			}
		}
	}
	defer func() { connState = nil }()
	s := New(f, Config{WatchDir: dir, Rescan: -1})
	base, stop := startServer(t, s)
	<-inIngest
	if snap := getJSON[watchSnapshot](t, base+"/api/v1/ingest"); !snap.Running || snap.Progress == nil {
		t.Fatalf("ingest not shown as running: %+v", snap)
	}
	if nb := getJSON[neighboursAnswer](t, base+"/api/v1/images/0/neighbours?k=2"); len(nb.Results) != 2 {
		t.Fatalf("query during ingest: %+v", nb)
	}
	// A slow request in flight when the stop comes still gets its answer.
	for len(active) > 0 { // the requests above were answered
		<-active
	}
	slow := make(chan int, 1)
	go func() {
		res, err := http.Post(base+"/api/v1/search?k=1", "image/png", &slowReader{data: pngBytes(t, 8, 8, color.RGBA{1, 2, 3, 255}), delay: 300 * time.Millisecond})
		if err != nil {
			slow <- -1
			return
		}
		res.Body.Close()
		slow <- res.StatusCode
	}()
	select { // the server has begun reading the slow request
	case <-active:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request did not reach the server in 10 s")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !committed {
		t.Fatal("Serve returned before the running ingest finished its batch")
	}
	if code := <-slow; code != 200 {
		t.Fatalf("request in flight during the stop got %d", code)
	}
}

// slowReader sends its data after a delay.
type slowReader struct {
	data  []byte
	delay time.Duration
	done  bool
}

func (r *slowReader) Read(p []byte) (int, error) {
	if !r.done {
		time.Sleep(r.delay)
		r.done = true
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestNonLoopbackWarning(t *testing.T) {
	logs := &syncBuffer{}
	f, _ := fakeStore(t, 1)
	s := New(f, Config{Log: slog.New(slog.NewTextHandler(logs, nil))})
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skipf("cannot listen on all interfaces here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, ln) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "non-loopback") {
		t.Fatalf("no warning for 0.0.0.0:\n%s", logs.String())
	}
}

func TestOnListenAndBusyPort(t *testing.T) {
	f, _ := fakeStore(t, 1)
	var got string
	s := New(f, Config{Addr: "127.0.0.1:0", OnListen: func(a string) error { got = a; return fmt.Errorf("lock taken") }})
	err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "lock taken") || !strings.HasPrefix(got, "127.0.0.1:") {
		t.Fatalf("OnListen error not returned: %v (addr %q)", err, got)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	err = New(f, Config{Addr: ln.Addr().String()}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot listen on") {
		t.Fatalf("busy port: %v", err)
	}
}

// On a loopback address, requests naming another host (a page whose DNS
// name was rebound to 127.0.0.1) are refused.
func TestHostCheck(t *testing.T) {
	f, _ := fakeStore(t, 2)
	base, _ := startServer(t, New(f, Config{}))
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	for host, want := range map[string]int{"127.0.0.1:" + port: 200, "localhost:" + port: 200, "LOCALHOST:" + port: 200,
		"evil.example:" + port: 403, "evil.example": 403, "127.0.0.1:1": 403} {
		req, _ := http.NewRequest("GET", base+"/api/v1/health", nil)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %q: status %d, want %d", host, res.StatusCode, want)
		}
	}
}
