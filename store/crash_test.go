package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The crash test re-runs this test binary as a writer that Puts batches
// forever and reports each one on stdout once Put has returned; the parent
// kills it with SIGKILL at a random moment and checks what survived.
const (
	crashEnv   = "VECIMG_STORE_CRASH_CHILD" // store path for the child
	crashDim   = 512
	crashBatch = 64
)

// TestCrashChild is the writer process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestKilledWriter")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error: open:", err)
		os.Exit(2)
	}
	if err := s.EnsureManifest(testManifest(crashDim)); err != nil {
		fmt.Println("error: manifest:", err)
		os.Exit(2)
	}
	n, err := s.Count()
	if err != nil {
		fmt.Println("error: count:", err)
		os.Exit(2)
	}
	for b := n / crashBatch; ; b++ {
		recs := crashBatchRecords(b)
		if err := s.Put(recs); err != nil {
			fmt.Println("error: put:", err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", b)
	}
}

// crashBatchRecords makes batch b: 64 new records, and for odd b it also
// replaces the 8 first records of batch b-1 with a second version (new
// content, new path), so that kills also land in the middle of replaces.
func crashBatchRecords(b int) []Record {
	var recs []Record
	for j := range crashBatch {
		recs = append(recs, testRecord(crashID(b*crashBatch+j), 1, crashDim))
	}
	if b%2 == 1 {
		for j := range 8 {
			recs = append(recs, testRecord(crashID((b-1)*crashBatch+j), 2, crashDim))
		}
	}
	return recs
}

func crashID(i int) string { return fmt.Sprintf("img/%07d", i) }

// TestKilledWriter kills a writer with SIGKILL three times, each after a
// random number of committed batches, and checks after each kill that the
// store opens (read-only first: that needs the recovery in Open), passes
// Check, holds every committed batch and no partial one, and that every
// record is complete: its vector is exactly the one written for its id and
// version.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a writer subprocess")
	}
	path := filepath.Join(t.TempDir(), "db")
	rng := rand.New(rand.NewPCG(42, 7))
	committed := -1 // last batch a child reported
	lockChecked := false
	for round := range 3 {
		want := committed + 1 + 2 + rng.IntN(8) // kill after this batch is reported
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The child may run ahead of what has been read from the pipe, so
		// reading goes on after the kill until the pipe is empty: the last
		// line is then the last batch whose Put returned before the kill.
		killed := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error: ") {
				t.Fatalf("child: %s", line)
			}
			b, ok := strings.CutPrefix(line, "committed ")
			if !ok {
				continue // the test framework's own lines
			}
			if committed, err = strconv.Atoi(b); err != nil {
				t.Fatalf("child said %q", line)
			}
			if killed {
				continue
			}
			if round == 0 && !lockChecked {
				// While the writer runs, a query (read-only) and a second
				// writer are both refused with the writer's pid.
				lockChecked = true
				for _, ro := range []bool{true, false} {
					_, err := Open(path, Options{ReadOnly: ro})
					wantMsg := fmt.Sprintf("store %q is in use by another vecimg process (pid %d)", path, cmd.Process.Pid)
					if !errors.Is(err, ErrLocked) || err.Error() != wantMsg {
						t.Errorf("Open (read-only %v) during a write = %v\nwant %s", ro, err, wantMsg)
					}
				}
			}
			if committed >= want {
				// Let the next Put get under way, then kill.
				time.Sleep(time.Duration(rng.IntN(20000)) * time.Microsecond)
				cmd.Process.Kill() // SIGKILL
				killed = true
			}
		}
		cmd.Wait()
		if committed < want {
			t.Fatalf("round %d: child stopped after batch %d (scan: %v)", round, committed, sc.Err())
		}
		verifyAfterKill(t, path, committed, true)
		n := verifyAfterKill(t, path, committed, false)
		t.Logf("round %d: killed after batch %d was reported; %d records (%d batches) stored", round, committed, n, n/crashBatch)
	}
}

func verifyAfterKill(t *testing.T, path string, committed int, readOnly bool) int {
	t.Helper()
	if readOnly {
		// A read-only open and Check of a killed writer's store change no
		// byte of it (badger's recovery would).
		before := hashFiles(t, path)
		defer func() { sameFiles(t, "a read-only open after a kill", before, hashFiles(t, path)) }()
	}
	s, err := Open(path, Options{ReadOnly: readOnly})
	if err != nil {
		t.Fatalf("Open after kill (read-only %v): %v", readOnly, err)
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		t.Fatalf("Check after kill: %v", err)
	}
	n, err := s.Count()
	if err != nil {
		t.Fatal(err)
	}
	// Every reported batch is there; the one in flight at the kill is all
	// there or not at all.
	batches := n / crashBatch
	if n%crashBatch != 0 || batches < committed+1 || batches > committed+2 {
		t.Fatalf("%d records after batch %d was committed", n, committed)
	}
	gen, _ := s.Generation()
	if gen != uint64(batches) {
		t.Errorf("generation %d for %d batches", gen, batches)
	}
	var ids []string
	err = s.Scan(context.Background(), func(r *Record) error {
		ids = append(ids, r.ID)
		i, _ := strconv.Atoi(strings.TrimPrefix(r.ID, "img/"))
		b := i / crashBatch
		version := 1
		if b%2 == 0 && b+1 < batches && i%crashBatch < 8 {
			version = 2 // replaced by the next (committed) batch
		}
		want := testRecord(r.ID, version, crashDim)
		if !slices.Equal(r.Vector, want.Vector) || r.Path != want.Path || r.SHA256 != want.SHA256 {
			return fmt.Errorf("record %s is not version %d as written", r.ID, version)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != crashID(i) {
			t.Fatalf("record %d is %s", i, id)
		}
	}
	return n
}

// The cluster crash test re-runs this test binary as a process that writes
// clustering after clustering into a store (labels in chunks, then the run)
// and reports each step; the parent kills it at random moments.
const clusterCrashEnv = "VECIMG_STORE_CLUSTER_CHILD"

const (
	clusterCrashN     = 600
	clusterCrashK     = 7
	clusterCrashChunk = 50
)

// clusterLabel is the label clustering number c gives record i.
func clusterLabel(c, i int) int32 { return int32((i*7 + c*3 + i/5*c) % clusterCrashK) }

func TestClusterCrashChild(t *testing.T) {
	path := os.Getenv(clusterCrashEnv)
	if path == "" {
		t.Skip("helper process for TestKilledClusterWriteBack")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error: open:", err)
		os.Exit(2)
	}
	man, _, _ := s.Manifest()
	run, _, _ := s.ClusterRun()
	for c := int(run.Seed) + 1; ; c++ {
		for lo := 0; lo < clusterCrashN; lo += clusterCrashChunk {
			var ups []LabelUpdate
			for i := lo; i < lo+clusterCrashChunk; i++ {
				ups = append(ups, LabelUpdate{ID: crashID(i), Label: clusterLabel(c, i), Distance: float32(c)})
			}
			if err := s.SetLabels(ups); err != nil {
				fmt.Println("error: labels:", err)
				os.Exit(2)
			}
			fmt.Printf("labels %d %d\n", c, lo)
		}
		r := ClusterRun{K: clusterCrashK, Seed: int64(c), Sizes: make([]int, clusterCrashK)}
		for range clusterCrashK {
			r.Centers = append(r.Centers, make([]float32, man.Dim))
		}
		if err := s.PutClusterRun(r); err != nil {
			fmt.Println("error: run:", err)
			os.Exit(2)
		}
		fmt.Printf("run %d\n", c)
	}
}

// Failure 3 of issue 18: a kill during the label write-back left records
// labelled by two clusterings. After each of several kills at random
// moments, every record carries the label of the stored run (whichever that
// is), never one of another run, and Check passes.
func TestKilledClusterWriteBack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a writer subprocess")
	}
	path := filepath.Join(t.TempDir(), "db")
	s := openTestStoreAt(t, path, 8)
	var recs []Record
	for i := range clusterCrashN {
		recs = append(recs, testRecord(crashID(i), 1, 8))
	}
	mustPut(t, s, recs)
	s.Close()
	rng := rand.New(rand.NewPCG(18, 3))
	mixedBefore := 0
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestClusterCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), clusterCrashEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := 0
		want := 3 + rng.IntN(40)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "error: ") {
				t.Fatalf("child: %s", sc.Text())
			}
			if lines++; lines == want {
				time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
				cmd.Process.Kill()
			}
		}
		cmd.Wait()
		ro, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		run, ok, err := ro.ClusterRun()
		if err != nil {
			t.Fatal(err)
		}
		c := int(run.Seed)
		err = ro.Scan(context.Background(), func(r *Record) error {
			i, _ := strconv.Atoi(strings.TrimPrefix(r.ID, "img/"))
			switch {
			case !ok && r.Meta.Label != NoLabel:
				return fmt.Errorf("%s has label %d with no clustering stored", r.ID, r.Meta.Label)
			case ok && (r.Meta.Label != clusterLabel(c, i) || r.Meta.Distance != float32(c)):
				mixedBefore++
				return fmt.Errorf("%s has label %d (distance %v) under clustering %d, which gave it %d", r.ID, r.Meta.Label, r.Meta.Distance, c, clusterLabel(c, i))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d (killed after %d steps): %v", round, want, err)
		}
		if err := ro.Check(); err != nil {
			t.Fatalf("round %d: Check: %v", round, err)
		}
		ro.Close()
		t.Logf("round %d: killed after %d steps; clustering %d in place", round, want, c)
	}
}

// A writer killed just as it created a memtable log leaves an empty .mem
// file; a read-only open skips it (badger's own would fail sizing it) and
// reads the store, leaving the file as it was.
func TestReadOnlyEmptyMemtableLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := openTestStoreAt(t, path, 8)
	mustPut(t, s, testRecords(5, 1, 8))
	s.Close()
	empty := filepath.Join(path, "00099.mem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open with an empty memtable log: %v", err)
	}
	n, err := ro.Count()
	ro.Close()
	if err != nil || n != 5 {
		t.Fatalf("count %d, %v; want 5", n, err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty memtable log changed: %v, %v", fi, err)
	}
}
