package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServe runs `vecimg serve --watch` in-process: it ingests the folder,
// answers the API, holds the store (another command says so, naming the
// server), and stops cleanly when its context ends (SIGINT in main),
// leaving the index file current and no lock file.
func TestServe(t *testing.T) {
	testfix.NeedRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	testfix.NoisePNGs(t, imgs, 5, 11)
	db := filepath.Join(dir, "s.db")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		a := App()
		a.Writer, a.ErrWriter = &bytes.Buffer{}, errOut
		done <- Run(ctx, a, []string{"vecimg", "--db", db, "serve", "--addr", "127.0.0.1:0", "--watch", imgs, "--weights", testWeights, "--rescan", "0"})
	}()
	// The server picks a free port and prints it ("vecimg serve:
	// http://ADDR/ (store …)"); no port is chosen here and closed again.
	deadline := time.Now().Add(60 * time.Second)
	addrRE := regexp.MustCompile(`vecimg serve: http://([^/]+)/`)
	var addr string
	for addr == "" {
		if m := addrRE.FindStringSubmatch(errOut.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before listening: %v\n%s", err, errOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen in 60 s:\n%s", errOut.String())
		}
	}
	base := "http://" + addr
	for {
		var in struct {
			Count int `json:"count"`
		}
		if res, err := http.Get(base + "/api/v1/info"); err == nil {
			json.NewDecoder(res.Body).Decode(&in)
			res.Body.Close()
		}
		if in.Count == 5 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not ingest the folder in 60 s:\n%s", errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := http.Get(base + "/api/v1/images/2/neighbours?k=2")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("neighbours: %v %v", err, res)
	}
	res.Body.Close()

	// A query is answered by the server's process; a writing command is
	// told that serve holds the store.
	if in := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json")); in.Count != 5 {
		t.Fatalf("info while serve runs: %+v", in)
	}
	_, err = run(t, "--db", db, "cluster", "--k", "2")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "`vecimg serve`") || !strings.Contains(err.Error(), "http://"+addr) ||
		!strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("cluster while serve runs: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after the stop: %v\n%s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of its context ending")
	}
	if _, err := os.Stat(app.ServeLockPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("serve left its lock file: %v", err)
	}
	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Count != 5 || info.Index == nil || !info.Index.Current {
		t.Fatalf("after serve: %+v, index %+v", info, info.Index)
	}
	log := errOut.String()
	for _, want := range []string{"vecimg serve: http://" + addr + "/", "msg=request", "path=/api/v1/images/2/neighbours", "status=200", "msg=stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("serve's output lacks %q:\n%s", want, log)
		}
	}
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"serve", "--addr", "8080"}, `--addr "8080" is not HOST:PORT`},
		{[]string{"serve", "--watch", filepath.Join(dir, "nope")}, "is not a folder"},
		{[]string{"serve", "--max-upload", "lots"}, `"lots" is not a size`},
		{[]string{"serve", "--max-upload", "0"}, "is not a size"},
		{[]string{"serve", "--max-pixels", "0"}, "--max-pixels must be positive"},
		{[]string{"serve", "extra"}, "serve takes no arguments"},
	} {
		_, err := run(t, append([]string{"--db", filepath.Join(dir, "s.db")}, c.args...)...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v (want a usage error with %q)", c.args, err, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused serve created the store")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "32MiB": 32 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "2mb": 2 << 20, "7 MiB": 7 << 20, "100B": 100, "3K": 3 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1MiB", "1.5MiB", "0", "9999999GiB", "12XB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}
