package cli

import (
	"fmt"
	"github.com/vecimg/vecimg/internal/testfix"
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterProgress: without a terminal, cluster reports each k-means
// stage and the label write-back as plain lines on the error writer; --json
// and -q print none.
func TestClusterProgress(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	mustRun(t, "--db", db, "import", testfix.NPZ(t, dir, "v.npz", ids, 8, 3), "--model-name", "seeded", "--no-index")

	_, errOut, err := runBoth(t, "--db", db, "cluster", "--k", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"k-means: loading vectors: 60/60",
		"k-means: seeding on the sample: 10/10",
		"k-means: assigning to the centres: 60/60",
		"writing labels: 60/60",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("cluster progress lacks %q:\n%s", want, errOut)
		}
	}
	_, errOut, err = runBoth(t, "--db", db, "cluster", "--k", "3", "--refine", "0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "k-means: assign: 60/60") || strings.Contains(errOut, "refine pass") {
		t.Errorf("cluster --refine 0 progress:\n%s", errOut)
	}
	_, errOut, err = runBoth(t, "--db", db, "cluster", "--report", "--k", "2..3")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(errOut, "k-means: seeding on the sample: 10/10") != 2 || strings.Count(errOut, "k-means: assigning to the centres") != 2 {
		t.Errorf("cluster --report progress (want one seeding per k):\n%s", errOut)
	}
	for _, quiet := range []string{"--json", "-q"} {
		if _, errOut, err := runBoth(t, "--db", db, "cluster", "--k", "3", quiet); err != nil || errOut != "" {
			t.Errorf("cluster %s: err %v, stderr %q; want no progress", quiet, err, errOut)
		}
	}
}
