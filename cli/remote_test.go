package cli

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// importedThirty makes a store of 30 imported vectors in three groups (ids
// 0..29) and returns its folder and path.
func importedThirty(t *testing.T) (dir, db string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "s.db")
	ids := make([]string, 30)
	for i := range ids {
		ids[i] = itoa(i)
	}
	mustRun(t, "--db", db, "import", testfix.NPZ(t, dir, "v.npz", ids, 8, 3), "--model-name", "m", "-q")
	return dir, db
}

// startChild runs vecimg with args in a child process (the test binary, see
// TestMain) and returns it with a channel of its stderr lines.
func startChild(t *testing.T, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\x1f"))
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

// waitLine waits for a stderr line of the child holding want (the event
// the test needs), failing if the child ends or a minute passes first.
func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(time.Minute)
	var seen []string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the child ended without saying %q:\n%s", want, strings.Join(seen, "\n"))
			}
			if strings.Contains(l, want) {
				return
			}
			seen = append(seen, l)
		case <-timeout:
			t.Fatalf("no %q from the child within a minute:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// serveChild runs `vecimg serve` on db in a child process, which holds the
// store for writing until the test ends, and waits until it serves.
func serveChild(t *testing.T, db string) {
	t.Helper()
	cmd, lines := startChild(t, "--db", db, "serve", "--addr", "127.0.0.1:0")
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitLine(t, lines, "vecimg serve: http://")
}

// While another process writes the store (here `vecimg serve`, which holds
// it until stopped), read commands get their answer from that process;
// only a second writer is refused, naming the holder (issue 21.2).
func TestReadsWhileAnotherProcessWrites(t *testing.T) {
	dir, db := importedThirty(t)
	serveChild(t, db)

	info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
	if info.Count != 30 {
		t.Errorf("info while serve holds the store: %+v", info)
	}
	sim := decodeJSON[app.SimilarResult](t, mustRun(t, "--db", db, "similar", "3", "-k", "4", "--json"))
	if sim.QueryID != "3" || len(sim.Results) != 4 {
		t.Errorf("similar while serve holds the store: %+v", sim)
	}
	out := filepath.Join(dir, "x.npz")
	mustRun(t, "--db", db, "export", "--out", out)
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Errorf("export while serve holds the store: %v", err)
	}
	_, err := run(t, "--db", db, "import", testfix.NPZ(t, dir, "w.npz", []string{"new"}, 8, 1), "--model-name", "m")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "vecimg serve") {
		t.Errorf("a second writer: %v, want a refusal naming the server", err)
	}
}

// A writer that finds the store held by a reader (a query) waits for it
// and then does its work, instead of failing (issue 21.2).
func TestWriterWaitsForReaders(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	mustRun(t, "--db", db, "import", testfix.NPZ(t, dir, "v.npz", []string{"a", "b", "c"}, 8, 1), "--model-name", "m", "-q")
	reader, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	more := testfix.NPZ(t, dir, "w.npz", []string{"d", "e"}, 8, 1)
	cmd, lines := startChild(t, "--db", db, "import", more, "--model-name", "m", "-q")
	waitLine(t, lines, "is being read by another vecimg process; waiting")
	reader.Close()
	for range lines { // drain until the child closes stderr
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the writer failed after the reader went: %v", err)
	}
	if info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json")); info.Count != 5 {
		t.Errorf("after the waiting writer: %d images, want 5", info.Count)
	}
}

// A plain `vecimg check` while another process writes the store is answered
// by that process, from what it has committed, instead of failing as busy
// (issue 21).
func TestCheckWhileAnotherProcessWrites(t *testing.T) {
	_, db := importedThirty(t)
	serveChild(t, db)

	res := decodeJSON[app.CheckResult](t, mustRun(t, "--db", db, "check", "--json"))
	if !res.OK || res.Records != 30 || len(res.Problems) != 0 {
		t.Errorf("check while serve holds the store: %+v", res)
	}
	out := mustRun(t, "--db", db, "check")
	if !strings.Contains(out, "30 records") || !strings.HasSuffix(strings.TrimSpace(out), "; ok") {
		t.Errorf("check text while serve holds the store:\n%s", out)
	}
	// --repair writes: it is refused while another process writes, naming it.
	if _, err := run(t, "--db", db, "check", "--repair"); !errors.Is(err, ErrBusy) {
		t.Errorf("check --repair while serve holds the store: %v, want ErrBusy", err)
	}
}

// A plain check that finds the store held by a writer that does not answer
// queries waits for it, saying so, and then checks it (issue 21).
func TestCheckWaitsForSilentWriter(t *testing.T) {
	_, db := importedThirty(t)
	writer, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd, lines := startChild(t, "--db", db, "check")
	waitLine(t, lines, "is held by a vecimg process that does not answer queries; waiting for it")
	writer.Close()
	for range lines { // drain until the child closes stderr
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("check after the writer went: %v", err)
	}
}
