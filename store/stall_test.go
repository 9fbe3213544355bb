package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/testhook"
)

// fakeWatchdog gives Check's stall watchdog a clock the test moves and a
// ticker the test drives: a tick sent on the unbuffered channel has been
// taken by the watchdog when the send returns.
type fakeWatchdog struct {
	mu    sync.Mutex
	now   time.Time
	ticks chan time.Time
	acks  chan struct{}
}

func useFakeWatchdog(t *testing.T, timeout time.Duration) *fakeWatchdog {
	w := &fakeWatchdog{now: time.Unix(1e9, 0), ticks: make(chan time.Time), acks: make(chan struct{})}
	oldNow, oldTicker, oldTicked, oldTimeout := stallNow, stallTicker, stallTicked, CheckStallTimeout
	stallTicked = func() { w.acks <- struct{}{} }
	stallNow = func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	stallTicker = func(time.Duration) (<-chan time.Time, func()) { return w.ticks, func() {} }
	CheckStallTimeout = timeout
	t.Cleanup(func() {
		stallNow, stallTicker, stallTicked, CheckStallTimeout = oldNow, oldTicker, oldTicked, oldTimeout
		testhook.SetCheckStep(nil)
	})
	return w
}

func (w *fakeWatchdog) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

// tick returns when the watchdog has looked at the tick.
func (w *fakeWatchdog) tick() { w.ticks <- time.Time{}; <-w.acks }

// stallStore makes a store of n records (ids 00000, 00001, ...) and opens
// it read-only, as check does.
func stallStore(t *testing.T, n int) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureManifest(testManifest(testDim)); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, testRecords(n, 1, testDim))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, Options{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCheckStallNamesRecord blocks the scan on one record: Check gives up
// after CheckStallTimeout without progress, names the record and what was
// read before it, and Close does not wait for the blocked read.
func TestCheckStallNamesRecord(t *testing.T) {
	s := stallStore(t, 20)
	const timeout = time.Minute
	w := useFakeWatchdog(t, timeout)
	release := make(chan struct{})
	var once sync.Once
	testhook.SetCheckStep(func(stage, name string) {
		if stage != "record" || name != "00007" {
			return
		}
		blocked := false
		once.Do(func() { blocked = true })
		if !blocked { // its metadata, read after the release
			return
		}
		w.tick() // the watchdog sees progress: its idle time starts now
		w.advance(timeout)
		w.tick() // a whole timeout without progress
		<-release
	})
	err := s.Check()
	var se *StallError
	if !errors.As(err, &se) || !errors.Is(err, ErrStalled) || !errors.Is(err, ErrCorrupt) {
		close(release)
		t.Fatalf("Check = %v, want a *StallError matching ErrStalled and ErrCorrupt", err)
	}
	if se.Stage != "record" || se.ID != "00007" || !strings.Contains(se.Key, "00007") || se.Records != 7 || se.Bytes == 0 || se.Idle != timeout {
		t.Errorf("stall = %+v, want record 00007 after 7 records", se)
	}
	if msg := err.Error(); !strings.Contains(msg, `no progress for 1m0s while reading record "00007"`) {
		t.Errorf("message %q does not name the record", msg)
	}
	// The scan is still blocked: Close must not wait for it (nor unmap
	// the files under it).
	if err := s.Close(); !errors.Is(err, ErrStalled) {
		t.Errorf("Close while the scan is blocked = %v, want ErrStalled", err)
	}
	close(release)
	<-*s.stuck.Load() // the scan ends once released
	if err := closeDB(s.db); err != nil {
		t.Fatal(err)
	}
}

// TestCheckSlowButProgressingNotCutOff makes every record take three
// quarters of the stall timeout: the whole check takes many timeouts, but
// progress resets the watchdog each time, so it is never cut off.
func TestCheckSlowButProgressingNotCutOff(t *testing.T) {
	s := stallStore(t, 20)
	defer s.Close()
	const timeout = time.Minute
	w := useFakeWatchdog(t, timeout)
	records := 0
	testhook.SetCheckStep(func(stage, name string) {
		if stage != "record" {
			return
		}
		records++
		w.tick() // progress since the last tick
		w.advance(timeout * 3 / 4)
		w.tick() // no progress, but less than the timeout
	})
	if err := s.Check(); err != nil {
		t.Fatalf("a slow check that makes progress was cut off: %v", err)
	}
	if records != 40 { // data and metadata of 20 records
		t.Errorf("%d record steps, want 40", records)
	}
}

// TestCheckCancelled: cancelling the context ends Check at once, even with
// its scan blocked in a read.
func TestCheckCancelled(t *testing.T) {
	s := stallStore(t, 10)
	useFakeWatchdog(t, time.Minute)
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	testhook.SetCheckStep(func(stage, name string) {
		if stage == "record" && name == "00003" {
			once.Do(func() {
				close(reached)
				<-release
			})
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-reached; cancel() }()
	if err := s.CheckContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("CheckContext = %v, want context.Canceled", err)
	}
	close(release)
	<-*s.stuck.Load()
	if err := s.Close(); err != nil { // the scan has ended: Close closes badger
		t.Fatal(err)
	}
}
