package embed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// cancelSink cancels the run during its first write, as Ctrl-C does while a
// batch is being stored.
type cancelSink struct {
	*memSink
	cancel context.CancelFunc
}

func (s cancelSink) Write(items []Item) error {
	s.cancel()
	return s.memSink.Write(items)
}

// The counts of an ingest are of what the sink holds: a batch that was run
// through the model but never written is not counted as stored (issue 21.1).
func TestIngestCountsOnlyWrittenBatches(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 40; i++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), uint8(i))
	}
	sink := newMemSink()
	sink.failAt = 1
	st, err := Ingest(context.Background(), dir, &fakeRunner{size: 2}, sink, IngestOptions{Batch: 3, Workers: 2, Prep: fakePrep{2}})
	if err == nil {
		t.Fatal("want the sink's error")
	}
	if st.Stored != len(sink.recs) {
		t.Fatalf("failed first write: %d reported stored, the sink holds %d", st.Stored, len(sink.recs))
	}
	for try := 0; try < 20; try++ {
		ctx, cancel := context.WithCancel(context.Background())
		sink := cancelSink{newMemSink(), cancel}
		st, _ := Ingest(ctx, dir, &fakeRunner{size: 2}, sink, IngestOptions{Batch: 3, Workers: 2, Prep: fakePrep{2}})
		cancel()
		if st.Stored+st.Copied != len(sink.recs) {
			t.Fatalf("try %d: interrupted run reports %d stored, the sink holds %d", try, st.Stored+st.Copied, len(sink.recs))
		}
	}
}

// Every file found is counted once: embedded, copied, already stored or bad
// (issue 21.3), and the first progress report announces the same total.
func TestIngestFoundAddsUp(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "good.png"), 10)
	writePNG(t, filepath.Join(dir, "7.png"), 20)
	writePNG(t, filepath.Join(dir, "7.gif"), 30) // same id as 7.png
	os.WriteFile(filepath.Join(dir, "notes.jpg"), []byte("hello, not an image"), 0o644)
	os.Symlink(filepath.Join(dir, "gone.jpg"), filepath.Join(dir, "link.jpg"))
	started, calls := int64(-1), 0
	st, err := Ingest(context.Background(), dir, &fakeRunner{size: 2}, newMemSink(),
		IngestOptions{Batch: 2, Workers: 2, Prep: fakePrep{2}, Progress: func(stage string, done, total int64) {
			if calls++; calls == 1 && stage == StageIngest && done == 0 {
				started = total
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Stored + st.Copied + st.Present + len(st.Bad); got != st.Total || st.Total != 5 || started != int64(st.Total) {
		t.Fatalf("total %d (first progress report %d), want 5 = stored %d + copied %d + present %d + bad %d (%v)",
			st.Total, started, st.Stored, st.Copied, st.Present, len(st.Bad), st.Bad)
	}
}

// OnBad and Progress are called from one goroutine at a time, so a consumer
// needs no lock; -race checks the unsynchronised counter below (issue 17.1).
func TestIngestEventsFromOneGoroutine(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 30; i++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), uint8(i))
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("bad%02d.jpg", i)), []byte("not an image"), 0o644)
	}
	events, bad := 0, 0
	st, err := Ingest(context.Background(), dir, &fakeRunner{size: 2}, newMemSink(), IngestOptions{
		Batch: 2, Workers: 4, Prep: fakePrep{2},
		OnBad:    func(BadFile) { events++; bad++ },
		Progress: func(string, int64, int64) { events++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if bad != 30 || len(st.Bad) != 30 || events <= bad {
		t.Fatalf("OnBad called %d times, %d bad files reported, %d events", bad, len(st.Bad), events)
	}
}

// A folder marked as vecimg's output (contact sheets written inside the
// image folder) is not walked (issue 21.10).
func TestWalkSkipsVecimgOutput(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 1)
	writePNG(t, filepath.Join(dir, "sheets", "cluster_00.png"), 2)
	os.WriteFile(filepath.Join(dir, "sheets", fsutil.OutputMarker), nil, 0o644)
	files, bad, err := Walk(dir, false)
	if err != nil || len(files) != 1 || len(bad) != 0 {
		t.Fatalf("walk: %v, %v, %v", files, bad, err)
	}
}
