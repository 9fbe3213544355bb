package embed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fakePrep decodes PNGs and fills every input float with the image's first
// pixel's red value, so the fake runner can tell images apart.
type fakePrep struct{ size int }

func (p fakePrep) Name() string { return "fake" }
func (p fakePrep) Size() int    { return p.size }
func (p fakePrep) DecodeFill(dst []float32, path string, data []byte) (int, int, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, fmt.Errorf("not a PNG: %v", err)
	}
	r, _, _, _ := img.At(0, 0).RGBA()
	for i := range dst {
		dst[i] = float32(r>>8) + 1
	}
	b := img.Bounds()
	return b.Dx(), b.Dy(), nil
}

// fakeRunner returns, per image, [mean of its input, 2*mean, 3].
type fakeRunner struct {
	size  int
	mu    sync.Mutex
	calls int
	max   int
}

func (r *fakeRunner) Dim() int           { return 3 }
func (r *fakeRunner) InputSize() int     { return r.size }
func (r *fakeRunner) DeviceName() string { return "fake" }
func (r *fakeRunner) Run(in []float32, n int, out []float32) ([]float32, error) {
	r.mu.Lock()
	r.calls++
	if n > r.max {
		r.max = n
	}
	r.mu.Unlock()
	per := 3 * r.size * r.size
	out = out[:0]
	for i := 0; i < n; i++ {
		var s float64
		for _, x := range in[i*per : (i+1)*per] {
			s += float64(x)
		}
		m := float32(s / float64(per))
		out = append(out, m, 2*m, 3)
	}
	return out, nil
}

type memSink struct {
	mu     sync.Mutex
	recs   map[string]Item
	writes int
	failAt int // fail the nth write (1-based) when > 0
}

func newMemSink() *memSink { return &memSink{recs: map[string]Item{}} }

func (s *memSink) Lookup(id string) (Stored, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.recs[id]
	return Stored{SHA256: it.SHA256, Path: it.Path}, ok, nil
}
func (s *memSink) ByHash(sha string) (Item, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.recs {
		if it.SHA256 == sha {
			return it, true, nil
		}
	}
	return Item{}, false, nil
}
func (s *memSink) Write(items []Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.failAt > 0 && s.writes == s.failAt {
		return errors.New("disk full")
	}
	for _, it := range items {
		s.recs[it.ID] = it
	}
	return nil
}

func writePNG(t *testing.T, path string, red uint8) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(0, 0, color.NRGBA{red, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIngestPipeline(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 23; i++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), uint8(i*10))
	}
	writePNG(t, filepath.Join(dir, "sub", "a.png"), 250)
	writePNG(t, filepath.Join(dir, "7.gif"), 70) // same id as 7.png: the first in walk order (7.gif) wins
	os.WriteFile(filepath.Join(dir, "empty.jpg"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.jpg"), []byte("hello, not an image"), 0o644)
	os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("ignored"), 0o644)
	os.Symlink(dir, filepath.Join(dir, "sub", "loop"))

	sink := newMemSink()
	run := &fakeRunner{size: 2}
	o := IngestOptions{Batch: 4, Workers: 3, Prep: fakePrep{2}}
	st, err := Ingest(context.Background(), dir, run, sink, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stored != 24 || st.Present != 0 || len(sink.recs) != 24 {
		t.Fatalf("first run: %+v, %d stored", st, len(sink.recs))
	}
	if run.max > 4 {
		t.Fatalf("a batch of %d images, want at most 4", run.max)
	}
	for i := 0; i < 23; i++ { // each image got its own vector
		id := fmt.Sprint(i)
		want := float32(i*10) + 1
		if v := sink.recs[id].Vector; len(v) != 3 || v[0] != want || v[1] != 2*want {
			t.Fatalf("%s: vector %v, want [%v %v 3]", id, v, want, 2*want)
		}
	}
	if r := sink.recs["sub/a"]; r.Width != 4 || r.Height != 3 || len(r.SHA256) != 64 {
		t.Fatalf("sub/a record %+v", r)
	}
	reasons := map[string]string{}
	for _, b := range st.Bad {
		reasons[filepath.Base(b.Path)] = b.Reason
	}
	for name, want := range map[string]string{"7.png": "duplicate id", "empty.jpg": "empty file", "notes.jpg": "not a PNG", "loop": "directory loop"} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("bad %s: reason %q, want it to mention %q (all: %v)", name, reasons[name], want, reasons)
		}
	}
	if len(st.Bad) != 4 {
		t.Errorf("bad files %v, want 4", st.Bad)
	}

	// Second run: nothing new, no model run.
	calls := run.calls
	st, err = Ingest(context.Background(), dir, run, sink, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Present != 24 || st.Stored != 0 || run.calls != calls {
		t.Fatalf("rerun: %+v (model calls %d → %d)", st, calls, run.calls)
	}

	// A changed file is re-embedded; a copy under a new id reuses the vector.
	writePNG(t, filepath.Join(dir, "3.png"), 99)
	data, _ := os.ReadFile(filepath.Join(dir, "5.png"))
	os.WriteFile(filepath.Join(dir, "copy-of-5.png"), data, 0o644)
	st, err = Ingest(context.Background(), dir, run, sink, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stored != 1 || st.Replaced != 1 || st.Copied != 1 || st.Present != 23 {
		t.Fatalf("after change: %+v", st)
	}
	if v := sink.recs["3"].Vector; v[0] != 100 {
		t.Fatalf("changed file vector %v, want 100", v)
	}
	if v := sink.recs["copy-of-5"].Vector; v[0] != 51 {
		t.Fatalf("copied vector %v, want 51", v)
	}
}

// A listing the caller already made (Walk, before anything was created)
// is used as it is: the folder is not walked again, so a file that
// appeared since waits for the next run.
func TestIngestListed(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), uint8(i*10))
	}
	files, bad, err := Walk(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "late.png"), 200)
	sink := newMemSink()
	o := IngestOptions{Batch: 4, Workers: 2, Prep: fakePrep{2}, Listed: &Listing{Files: files, Bad: bad}}
	st, err := Ingest(context.Background(), dir, &fakeRunner{size: 2}, sink, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 5 || st.Stored != 5 || len(sink.recs) != 5 {
		t.Fatalf("ingest of a 5-file listing: %+v, %d stored", st, len(sink.recs))
	}
	if _, ok := sink.recs["late"]; ok {
		t.Fatal("a file missing from the listing was ingested: the folder was walked again")
	}
	o.Listed = nil
	if st, err = Ingest(context.Background(), dir, &fakeRunner{size: 2}, sink, o); err != nil || st.Stored != 1 || st.Present != 5 {
		t.Fatalf("the next run (walking): %+v, %v", st, err)
	}
}

func TestIngestStopsOnSinkError(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 20; i++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), uint8(i))
	}
	sink := newMemSink()
	sink.failAt = 2
	_, err := Ingest(context.Background(), dir, &fakeRunner{size: 2}, sink, IngestOptions{Batch: 3, Workers: 2, Prep: fakePrep{2}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the sink's error", err)
	}
	if len(sink.recs) != 3 {
		t.Fatalf("%d records kept, want the first batch of 3", len(sink.recs))
	}
}

func TestIngestCancel(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 10; i++ {
		writePNG(t, filepath.Join(dir, fmt.Sprintf("%d.png", i)), uint8(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Ingest(ctx, dir, &fakeRunner{size: 2}, newMemSink(), IngestOptions{Prep: fakePrep{2}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestWalkIDs(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "b", "2.PNG"), 1)
	writePNG(t, filepath.Join(dir, "1.jpeg"), 1)
	files, bad, err := Walk(dir, false)
	if err != nil || len(bad) != 0 {
		t.Fatal(err, bad)
	}
	var ids []string
	for _, f := range files {
		ids = append(ids, f.ID)
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "1,b/2" {
		t.Fatalf("ids %v", ids)
	}
	if _, _, err := Walk(filepath.Join(dir, "1.jpeg"), false); err == nil {
		t.Fatal("walking a file should fail")
	}
}
