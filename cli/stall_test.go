package cli

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/testhook"
	"github.com/vecimg/vecimg/store"
)

// stallOn makes store.Check's scan block on record id for good, as a read
// that never returns does, and shortens the stall timeout. The blocked
// goroutine (and the store it reads) stays behind until the test binary
// exits, as it does in vecimg until the process exits.
func stallOn(t *testing.T, id string, timeout time.Duration) {
	old := store.CheckStallTimeout
	store.CheckStallTimeout = timeout
	var once sync.Once
	testhook.SetCheckStep(func(stage, name string) {
		if stage == "record" && name == id {
			once.Do(func() { select {} })
		}
	})
	t.Cleanup(func() {
		testhook.SetCheckStep(nil)
		store.CheckStallTimeout = old
	})
}

// TestCheckStall: a read that never returns ends `vecimg check` with a
// problem line naming the record it stalled on and the check's failure
// (exit status 1), instead of hanging; the same with --json and --repair,
// which repairs nothing.
func TestCheckStall(t *testing.T) {
	db := importStore(t, t.TempDir(), "a", 50)
	stallOn(t, "img17", 100*time.Millisecond)
	out, err := run(t, "--db", db, "check")
	if !errors.Is(err, ErrCheck) || errors.Is(err, ErrUsage) {
		t.Fatalf("stalled check: err %v, want the check's failure\n%s", err, out)
	}
	if !strings.Contains(out, `store record "img17" (`) || !strings.Contains(out, "check stalled: no progress for 100ms while reading this record") ||
		!strings.Contains(out, "check stopped where a read did not return; 1 problem") {
		t.Errorf("stalled check printed:\n%s", out)
	}
	if !strings.Contains(err.Error(), "restore it from a backup") {
		t.Errorf("error %q has no advice", err)
	}
}

// TestCheckSlowNotCutOff: every record takes a while (the scan waits for
// the watchdog to look at it twice), the whole check takes several stall
// timeouts, and it is not cut off.
func TestCheckSlowNotCutOff(t *testing.T) {
	db := importStore(t, t.TempDir(), "a", 20)
	old := store.CheckStallTimeout
	store.CheckStallTimeout = 2 * time.Second
	t.Cleanup(func() {
		store.CheckStallTimeout = old
		testhook.SetCheckStep(nil)
	})
	steps := 0
	testhook.SetCheckStep(func(stage, name string) {
		if stage == "record" {
			steps++
		}
	})
	out, err := run(t, "--db", db, "check")
	if err != nil || !strings.Contains(out, "20 records") || steps != 40 {
		t.Fatalf("check: %v (%d record steps)\n%s", err, steps, out)
	}
}
