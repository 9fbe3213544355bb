package cli

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// childArgsEnv makes the test binary run vecimg with these arguments
// (separated by \x1f) instead of the tests: the subprocess that gets killed.
const childArgsEnv = "VECIMG_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgsEnv); a != "" {
		err := Run(context.Background(), App(), append([]string{"vecimg"}, strings.Split(a, "\x1f")...))
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	readWait = 2 * time.Second // TestBusyStore waits this long for a holder that never answers
	minStage = 0               // the tests of progress output use tiny jobs (TestProgressOnlyOnLongStages checks the rule)
	os.Exit(m.Run())
}

// TestKilledIngest SIGKILLs `vecimg ingest` part-way, several times, and
// reruns it to the end: every image ends up stored exactly once, with the
// same vector a clean run gives, and the store opens and checks cleanly.
func TestKilledIngest(t *testing.T) {
	testfix.NeedRuntime(t)
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	const n = 60
	testfix.NoisePNGs(t, imgs, n, 7)

	clean := filepath.Join(dir, "clean.db")
	mustRun(t, "--db", clean, "ingest", "-q", "--batch", "4", "--weights", testWeights, imgs)

	db := filepath.Join(dir, "killed.db")
	args := strings.Join([]string{"--db", db, "ingest", "-q", "--batch", "4", "--weights", testWeights, imgs}, "\x1f")
	sawPartial := false
	for i, delay := range []time.Duration{300 * time.Millisecond, 700 * time.Millisecond, 1200 * time.Millisecond, 2 * time.Second} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childArgsEnv+"="+args)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done: // finished before the kill: nothing left to test in later rounds
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
		s, err := store.Open(db, store.Options{ReadOnly: true})
		if err != nil {
			if i == 0 && errors.Is(err, fs.ErrNotExist) { // killed before the store was created
				continue
			}
			t.Fatalf("round %d: store does not open after SIGKILL: %v", i, err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		c, _ := s.Count()
		s.Close()
		if c > 0 && c < n {
			sawPartial = true
		}
		t.Logf("round %d: killed after %v with %d/%d stored", i, delay, c, n)
	}
	if !sawPartial {
		t.Log("no kill landed part-way (machine too fast or too slow); the resume check still runs")
	}
	st := decodeJSON[embed.IngestStats](t, mustRun(t, "--db", db, "ingest", "--json", "--weights", testWeights, imgs))
	if st.Stored+st.Present != n || len(st.Bad) != 0 {
		t.Fatalf("resume: %+v", st)
	}

	a, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(clean, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	ids, _ := a.IDs()
	if len(ids) != n {
		t.Fatalf("%d records after resume, want %d", len(ids), n)
	}
	for _, id := range ids {
		ra, err := a.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		var nz bool
		for j, v := range ra.Vector {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s: non-finite vector", id)
			}
			nz = nz || v != 0
			if d := math.Abs(float64(v - rb.Vector[j])); d > 1e-4*math.Max(1, math.Abs(float64(rb.Vector[j]))) {
				t.Fatalf("%s[%d] = %v after kills, %v in a clean run", id, j, v, rb.Vector[j])
			}
		}
		if !nz {
			t.Fatalf("%s: zero vector", id)
		}
	}
}
