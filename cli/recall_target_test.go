package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/testfix"
)

// TestRecallTarget: --recall-target reaches the tuning of every command
// that builds the index (the build's line and the index header name it),
// and a value outside (0, 1] is a usage error that writes nothing.
func TestRecallTarget(t *testing.T) {
	dir := t.TempDir()
	var ids []string
	for i := range 30 {
		ids = append(ids, itoa(i))
	}
	npzFile := testfix.NPZ(t, dir, "v.npz", ids, 12, 3)
	tuned := func(db string) float64 {
		t.Helper()
		info := decodeJSON[app.InfoResult](t, mustRun(t, "--db", db, "info", "--json"))
		if info.Index == nil || info.Index.Tuning == nil {
			t.Fatalf("%s: info shows no tuned index: %+v", db, info)
		}
		return info.Index.Tuning.Target
	}

	// Refused before anything is opened or written.
	imgs := t.TempDir()
	bad := filepath.Join(dir, "bad.db")
	for _, v := range []string{"0", "-0.5", "1.01", "NaN"} {
		for _, args := range [][]string{
			{"import", "--model-name", "m", npzFile},
			{"merge", filepath.Join(dir, "none.db")},
			{"rm", "1"},
			{"ingest", "--weights", testWeights, imgs},
			{"serve", "--addr", "127.0.0.1:0"},
			{"similar", "1"},
			{"outliers"},
		} {
			args = append([]string{"--db", bad, args[0], "--recall-target", v}, args[1:]...)
			_, err := run(t, args...)
			if !errors.Is(err, ErrUsage) || !IsBadInput(err) || !strings.Contains(err.Error(), "--recall-target") {
				t.Errorf("%v: err = %v, want a usage error naming --recall-target", args, err)
			}
		}
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused command created %s (%v)", bad, err)
	}

	// import builds and tunes for the target given, and says so.
	db := filepath.Join(dir, "v.db")
	_, errOut, err := runBoth(t, "--db", db, "import", npzFile, "--model-name", "seeded", "--recall-target", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "sampled images (target 0.5)") {
		t.Fatalf("import's build line does not name the target:\n%s", errOut)
	}
	if got := tuned(db); got != 0.5 {
		t.Fatalf("import --recall-target 0.5: index tuned for %v", got)
	}
	// Without the flag: the default.
	def := filepath.Join(dir, "def.db")
	mustRun(t, "--db", def, "import", "-q", npzFile, "--model-name", "seeded")
	if got := tuned(def); got != 0.99 {
		t.Fatalf("import: index tuned for %v, want the default 0.99", got)
	}
	// merge builds the index of its output.
	merged := filepath.Join(dir, "m.db")
	mustRun(t, "--db", merged, "merge", "-q", "--recall-target", "0.7", db)
	if got := tuned(merged); got != 0.7 {
		t.Fatalf("merge --recall-target 0.7: index tuned for %v", got)
	}
	// rm rebuilds a missing index file.
	if err := os.Remove(app.IndexPath(db)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--db", db, "rm", "--recall-target", "0.8", "29")
	if got := tuned(db); got != 0.8 {
		t.Fatalf("rm --recall-target 0.8: index tuned for %v", got)
	}
	// similar builds it when missing.
	if err := os.Remove(app.IndexPath(db)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--db", db, "similar", "--recall-target", "0.6", "1")
	if got := tuned(db); got != 0.6 {
		t.Fatalf("similar --recall-target 0.6: index tuned for %v", got)
	}
}
