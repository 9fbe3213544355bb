package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

var testTime = time.Date(2026, 11, 3, 12, 0, 0, 123456789, time.UTC)

func sameRecord(t *testing.T, got, want Record) {
	t.Helper()
	if got.ID != want.ID || got.Path != want.Path || got.SHA256 != want.SHA256 ||
		got.Width != want.Width || got.Height != want.Height || !got.Added.Equal(want.Added) ||
		!slices.Equal(got.Vector, want.Vector) {
		t.Fatalf("record differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	s := openTestStore(t)
	recs := testRecords(50, 1, testDim)
	recs[3].Meta.Extra = map[string]string{"camera": "x100", "note": ""}
	mustPut(t, s, recs)
	for _, want := range recs {
		got, err := s.Get(want.ID)
		if err != nil {
			t.Fatalf("Get(%q): %v", want.ID, err)
		}
		sameRecord(t, got, want)
		if got.Meta.Label != NoLabel || got.Meta.Distance != 0 {
			t.Errorf("Get(%q).Meta = %+v; a new record must be unlabelled", want.ID, got.Meta)
		}
		if !maps.Equal(got.Meta.Extra, want.Meta.Extra) {
			t.Errorf("Get(%q).Meta.Extra = %v, want %v", want.ID, got.Meta.Extra, want.Meta.Extra)
		}
		if id, ok, err := s.ByHash(want.SHA256); err != nil || !ok || id != want.ID {
			t.Errorf("ByHash = %q %v %v, want %q", id, ok, err, want.ID)
		}
		if id, ok, err := s.ByPath(want.Path); err != nil || !ok || id != want.ID {
			t.Errorf("ByPath = %q %v %v, want %q", id, ok, err, want.ID)
		}
	}
	if n, err := s.Count(); err != nil || n != 50 {
		t.Errorf("Count = %d, %v; want 50", n, err)
	}
	if _, err := s.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, ok, err := s.ByHash(shaOf("nope")); ok || err != nil {
		t.Errorf("ByHash(missing) = %v, %v", ok, err)
	}
	if _, _, err := s.ByHash("xyz"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ByHash(bad hex) = %v, want ErrInvalid", err)
	}
	if _, ok, err := s.ByPath("/nope"); ok || err != nil {
		t.Errorf("ByPath(missing) = %v, %v", ok, err)
	}
}

func TestAddedDefaultsToNow(t *testing.T) {
	s := openTestStore(t)
	r := testRecord("a", 1, testDim)
	r.Added = time.Time{}
	before := time.Now()
	mustPut(t, s, []Record{r})
	got, err := s.Get("a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Added.Before(before.Add(-time.Second)) || got.Added.After(time.Now().Add(time.Second)) {
		t.Errorf("Added = %v, want about %v", got.Added, before)
	}
}

func TestReplaceRemovesStaleIndexEntries(t *testing.T) {
	s := openTestStore(t)
	old := testRecord("img", 1, testDim)
	other := testRecord("other", 1, testDim)
	other.Path = old.Path // two records from one path: the index is a multi-map
	mustPut(t, s, []Record{old, other})
	gen0, _ := s.Generation()

	if err := s.SetLabels([]LabelUpdate{{ID: "img", Label: 3, Distance: 2}}); err != nil {
		t.Fatal(err)
	}
	repl := testRecord("img", 2, testDim) // new content and new path
	mustPut(t, s, []Record{repl})

	if _, ok, _ := s.ByHash(old.SHA256); ok {
		t.Error("old hash still maps to a record")
	}
	if id, ok, _ := s.ByHash(repl.SHA256); !ok || id != "img" {
		t.Errorf("ByHash(new) = %q, %v", id, ok)
	}
	if id, ok, _ := s.ByPath(old.Path); !ok || id != "other" {
		t.Errorf("ByPath(old path) = %q, %v; want the other record only", id, ok)
	}
	if id, ok, _ := s.ByPath(repl.Path); !ok || id != "img" {
		t.Errorf("ByPath(new) = %q, %v", id, ok)
	}
	got, err := s.Get("img")
	if err != nil {
		t.Fatal(err)
	}
	sameRecord(t, got, repl)
	if got.Meta.Label != NoLabel {
		t.Errorf("replaced record kept label %d", got.Meta.Label)
	}
	if n, _ := s.Count(); n != 2 {
		t.Errorf("Count = %d after replace, want 2", n)
	}
	if gen, _ := s.Generation(); gen != gen0+1 {
		t.Errorf("generation %d after replace, want %d", gen, gen0+1)
	}

	// Replacing with the same hash and path keeps the index entries.
	same := repl
	same.Width = 999
	mustPut(t, s, []Record{same})
	if id, ok, _ := s.ByHash(repl.SHA256); !ok || id != "img" {
		t.Errorf("ByHash after same-content replace = %q, %v", id, ok)
	}
	if id, ok, _ := s.ByPath(repl.Path); !ok || id != "img" {
		t.Errorf("ByPath after same-content replace = %q, %v", id, ok)
	}
}

func TestSharedHash(t *testing.T) {
	s := openTestStore(t)
	a, b := testRecord("b", 1, testDim), testRecord("a", 1, testDim)
	b.SHA256 = a.SHA256 // same file content under two ids
	mustPut(t, s, []Record{a, b})
	if id, _, _ := s.ByHash(a.SHA256); id != "a" {
		t.Errorf("ByHash = %q, want the smallest id %q", id, "a")
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if id, ok, _ := s.ByHash(a.SHA256); !ok || id != "b" {
		t.Errorf("ByHash after deleting one = %q, %v; want b", id, ok)
	}
}

func TestDelete(t *testing.T) {
	s := openTestStore(t)
	recs := testRecords(5, 1, testDim)
	mustPut(t, s, recs)
	g0, _ := s.Generation()
	err := s.Delete("00001", "nope", "zzz")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nope", "zzz"`) {
		t.Fatalf("Delete with missing ids = %v", err)
	}
	if n, _ := s.Count(); n != 5 {
		t.Fatalf("a failed Delete removed records: count %d", n)
	}
	if err := s.Delete("00001", "00003", "00001"); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.Generation(); g != g0+1 {
		t.Errorf("generation %d, want %d", g, g0+1)
	}
	ids, err := s.IDs()
	if err != nil || !slices.Equal(ids, []string{"00000", "00002", "00004"}) {
		t.Errorf("IDs = %v, %v", ids, err)
	}
	if _, ok, _ := s.ByHash(recs[1].SHA256); ok {
		t.Error("deleted record's hash entry remains")
	}
	if _, ok, _ := s.ByPath(recs[3].Path); ok {
		t.Error("deleted record's path entry remains")
	}
}

func TestPutValidation(t *testing.T) {
	s := openTestStore(t)
	good := testRecord("ok", 1, testDim)
	cases := map[string]func(r *Record){
		"empty id":      func(r *Record) { r.ID = "" },
		"nul in id":     func(r *Record) { r.ID = "a\x00b" },
		"long id":       func(r *Record) { r.ID = strings.Repeat("x", MaxIDLen+1) },
		"empty path":    func(r *Record) { r.Path = "" },
		"nul in path":   func(r *Record) { r.Path = "/a\x00" },
		"short sha":     func(r *Record) { r.SHA256 = "abcd" },
		"non-hex sha":   func(r *Record) { r.SHA256 = strings.Repeat("g", 64) },
		"wrong dim":     func(r *Record) { r.Vector = r.Vector[:testDim-1] },
		"nan":           func(r *Record) { r.Vector[2] = float32(nan()) },
		"inf":           func(r *Record) { r.Vector[0] = float32(inf()) },
		"zero vector":   func(r *Record) { r.Vector = make([]float32, testDim) },
		"negative size": func(r *Record) { r.Width = -1 },
	}
	for name, mutate := range cases {
		r := good.Clone()
		mutate(&r)
		if err := s.Put([]Record{good, r}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Put = %v, want ErrInvalid", name, err)
		}
	}
	if err := s.Put([]Record{good, good}); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate id in batch: Put = %v, want ErrInvalid", err)
	}
	if n, _ := s.Count(); n != 0 {
		t.Errorf("refused batches wrote %d records", n)
	}
	if g, _ := s.Generation(); g != 0 {
		t.Errorf("refused batches bumped the generation to %d", g)
	}
}

func TestPutNeedsManifest(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(testRecords(1, 1, testDim)); !errors.Is(err, ErrNoManifest) {
		t.Errorf("Put without manifest = %v, want ErrNoManifest", err)
	}
	if _, ok, err := s.Manifest(); ok || err != nil {
		t.Errorf("Manifest on a new store = %v, %v", ok, err)
	}
}

func TestManifest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := openTestStoreAt(t, path, testDim)
	m, ok, err := s.Manifest()
	if err != nil || !ok {
		t.Fatalf("Manifest = %v, %v", ok, err)
	}
	if m.Schema != SchemaVersion || m.Created.IsZero() || m.Model != "test-model-fingerprint" || m.Dim != testDim {
		t.Errorf("stored manifest %+v", m)
	}
	// The same settings pass, whatever the description says.
	same := testManifest(testDim)
	same.ModelDesc = "other words"
	if err := s.EnsureManifest(same); err != nil {
		t.Errorf("EnsureManifest(same) = %v", err)
	}
	other := testManifest(testDim + 1)
	other.Preset = "imagenet"
	err = s.EnsureManifest(other)
	var me *MismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrManifestMismatch) {
		t.Fatalf("EnsureManifest(other) = %v, want *MismatchError", err)
	}
	want := []FieldMismatch{{"preset", "blitz", "imagenet"}, {"dim", "16", "17"}}
	if !slices.Equal(me.Fields, want) {
		t.Errorf("mismatch fields %+v, want %+v", me.Fields, want)
	}
	if msg := err.Error(); !strings.Contains(msg, `preset "blitz" (wanted "imagenet")`) || !strings.Contains(msg, path) {
		t.Errorf("message %q", msg)
	}
	if err := s.EnsureManifest(Manifest{Preset: "x", Dim: 3}); !errors.Is(err, ErrInvalid) {
		t.Errorf("EnsureManifest without model = %v", err)
	}
}

func TestLabelsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := openTestStoreAt(t, path, testDim)
	recs := testRecords(10, 1, testDim)
	recs[4].Meta.Extra = map[string]string{"k": "v"}
	mustPut(t, s, recs)
	gen, _ := s.Generation()
	var ups []LabelUpdate
	for i, r := range recs {
		ups = append(ups, LabelUpdate{ID: r.ID, Label: int32(i % 3), Distance: float32(i) / 2})
	}
	if err := s.SetLabels(ups); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.Generation(); g != gen {
		t.Errorf("SetLabels moved the generation %d → %d", gen, g)
	}
	err := s.SetLabels([]LabelUpdate{{ID: "00000", Label: 1}, {ID: "ghost", Label: 1}})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"ghost"`) {
		t.Errorf("SetLabels with a missing id = %v", err)
	}
	if err := s.SetLabels([]LabelUpdate{{ID: "00000", Label: -2}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetLabels label -2 = %v", err)
	}
	run := ClusterRun{K: 3, Seed: 42, Params: map[string]string{"batch": "1024"}, Inertia: 12.5,
		Centers: [][]float32{recs[0].Vector, recs[1].Vector, recs[2].Vector}, Sizes: []int{4, 3, 3}, Generation: gen}
	if err := s.PutClusterRun(run); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for i, r := range recs {
		got, err := s2.Get(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Meta.Label != int32(i%3) || got.Meta.Distance != float32(i)/2 {
			t.Errorf("%s: meta %+v after reopen", r.ID, got.Meta)
		}
		if !maps.Equal(got.Meta.Extra, r.Meta.Extra) {
			t.Errorf("%s: extra %v, want %v", r.ID, got.Meta.Extra, r.Meta.Extra)
		}
		sameRecord(t, got, r)
	}
	gotRun, ok, err := s2.ClusterRun()
	if err != nil || !ok {
		t.Fatalf("ClusterRun = %v, %v", ok, err)
	}
	if gotRun.K != 3 || gotRun.Inertia != 12.5 || gotRun.At.IsZero() || gotRun.Generation != gen ||
		!slices.Equal(gotRun.Centers[2], recs[2].Vector) || !slices.Equal(gotRun.Sizes, run.Sizes) {
		t.Errorf("cluster run %+v", gotRun)
	}
	if err := s2.Check(); err != nil {
		t.Error(err)
	}
	if err := s2.SetLabels(ups); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetLabels read-only = %v", err)
	}
	if err := s2.Put(recs[:1]); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put read-only = %v", err)
	}
}

func TestPutClusterRunValidation(t *testing.T) {
	s := openTestStore(t)
	if _, ok, err := s.ClusterRun(); ok || err != nil {
		t.Errorf("ClusterRun on a new store = %v, %v", ok, err)
	}
	c := make([]float32, testDim)
	for name, r := range map[string]ClusterRun{
		"k=0":       {K: 0},
		"centres":   {K: 2, Centers: [][]float32{c}, Sizes: []int{1, 1}},
		"sizes":     {K: 1, Centers: [][]float32{c}},
		"dimension": {K: 1, Centers: [][]float32{c[:3]}, Sizes: []int{1}},
		"nan":       {K: 1, Centers: [][]float32{c}, Sizes: []int{1}, Inertia: nan()},
	} {
		if err := s.PutClusterRun(r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: PutClusterRun = %v", name, err)
		}
	}
}

func TestGeneration(t *testing.T) {
	s := openTestStore(t)
	g := func() uint64 {
		v, err := s.Generation()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if g() != 0 {
		t.Fatalf("new store generation %d", g())
	}
	mustPut(t, s, testRecords(3, 1, testDim))
	mustPut(t, s, testRecords(3, 2, testDim))
	if g() != 2 {
		t.Errorf("after two Puts: %d", g())
	}
	mustPut(t, s, nil)
	if err := setTestLabels(s, []LabelUpdate{{ID: "00000", Label: 0}}); err != nil {
		t.Fatal(err)
	}
	if g() != 2 {
		t.Errorf("empty Put or SetLabels bumped it: %d", g())
	}
	if err := s.Delete("00002"); err != nil {
		t.Fatal(err)
	}
	if g() != 3 {
		t.Errorf("after Delete: %d", g())
	}
}

func TestScanOrder(t *testing.T) {
	s := openTestStore(t)
	ids := []string{"b", "a/b", "a", "10", "9", "a0", "a/b/c", "é", "A"}
	var recs []Record
	for _, id := range ids {
		recs = append(recs, testRecord(id, 1, testDim))
	}
	mustPut(t, s, recs[:4])
	mustPut(t, s, recs[4:])
	if err := setTestLabels(s, []LabelUpdate{{ID: "a", Label: 2}}); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(ids)
	slices.Sort(want)

	var got []string
	var prev *Record
	err := s.Scan(context.Background(), func(r *Record) error {
		if prev != nil && prev != r {
			t.Error("Scan did not reuse its record") // documented, and what keeps it cheap
		}
		prev = r
		got = append(got, r.ID)
		want := recs[slices.Index(ids, r.ID)]
		sameRecord(t, *r, want)
		if lbl := r.Meta.Label; (r.ID == "a") != (lbl == 2) || (r.ID != "a" && lbl != NoLabel) {
			t.Errorf("%s: label %d", r.ID, lbl)
		}
		return nil
	})
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Scan order %q, %v; want %q", got, err, want)
	}

	got = got[:0]
	err = s.ScanVectors(context.Background(), func(id string, v []float32) error {
		got = append(got, id)
		if !slices.Equal(v, recs[slices.Index(ids, id)].Vector) {
			t.Errorf("%s: vector differs", id)
		}
		return nil
	})
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ScanVectors order %q, %v", got, err)
	}
	if all, err := s.IDs(); err != nil || !slices.Equal(all, want) {
		t.Errorf("IDs = %q, %v", all, err)
	}

	stop := errors.New("stop")
	n := 0
	err = s.Scan(context.Background(), func(*Record) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Scan with a failing callback = %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.ScanVectors(ctx, func(string, []float32) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ScanVectors with a cancelled context = %v", err)
	}
}

func TestLockedInSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	openTestStoreAt(t, path, testDim)
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		var le *LockedError
		if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
			t.Fatalf("second Open (read-only %v) = %v, want ErrLocked", ro, err)
		}
		want := fmt.Sprintf("store %q is in use by another vecimg process (pid %d)", path, os.Getpid())
		if err.Error() != want {
			t.Errorf("message\n %q\nwant\n %q", err.Error(), want)
		}
	}
}

func TestReadersShareWritersWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := openTestStoreAt(t, path, testDim)
	mustPut(t, s, testRecords(3, 1, testDim))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only Open = %v; readers should share", err)
	}
	defer r2.Close()
	if n, _ := r2.Count(); n != 3 {
		t.Errorf("reader sees %d records", n)
	}
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrLocked) || !strings.HasSuffix(err.Error(), "is in use by another vecimg process") {
		t.Errorf("writer Open while readers hold the store = %v", err)
	}
}

func TestNotAStore(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "photos")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "cat.jpg"), []byte("jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	for p, problem := range map[string]NotStoreProblem{file: NotStoreFile, other: NotStoreOtherFiles} {
		for _, ro := range []bool{false, true} {
			_, err := Open(p, Options{ReadOnly: ro})
			if !errors.Is(err, ErrNotStore) {
				t.Errorf("Open(%s, ro=%v) = %v, want ErrNotStore", p, ro, err)
			}
			wantNotStore(t, err, p, problem)
		}
	}
	if ents, _ := os.ReadDir(other); len(ents) != 1 {
		t.Errorf("Open wrote into an unrelated directory: %d entries", len(ents))
	}

	// A badger database of some other program.
	foreign := filepath.Join(dir, "foreign")
	db, err := badger.Open(badger.DefaultOptions(foreign).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("user/1"), []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(foreign, Options{})
	if !errors.Is(err, ErrNotStore) {
		t.Errorf("Open(foreign badger db) = %v, want ErrNotStore", err)
	}
	wantNotStore(t, err, foreign, NotStoreOtherBadger)

	missing := filepath.Join(dir, "missing")
	_, err = Open(missing, Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotStore) {
		t.Errorf("read-only Open(missing) = %v, want fs.ErrNotExist", err)
	}
	wantNotStore(t, err, missing, NoStoreThere)
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Error("read-only Open created the directory")
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	_, err = Open(empty, Options{ReadOnly: true})
	if !errors.Is(err, ErrNotStore) {
		t.Errorf("read-only Open(empty dir) = %v", err)
	}
	wantNotStore(t, err, empty, NotStoreEmptyDir)
	s, err := Open(empty, Options{})
	if err != nil {
		t.Fatalf("Open(empty dir) = %v; an empty directory becomes a store", err)
	}
	s.Close()

	// A creation cut short before badger wrote its MANIFEST leaves only its
	// lock file: that is finished, not refused.
	cut := filepath.Join(dir, "cut")
	os.Mkdir(cut, 0o755)
	os.WriteFile(filepath.Join(cut, "LOCK"), []byte("12345\n"), 0o644)
	if s, err = Open(cut, Options{}); err != nil {
		t.Fatalf("Open(dir with a stale LOCK only) = %v", err)
	}
	s.Close()
}

func TestNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keySchema, putUint(SchemaVersion+1)) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, ro := range []bool{false, true} {
		_, err = Open(path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "upgrade vecimg") {
			t.Errorf("Open(newer schema, ro=%v) = %v, want ErrSchema with advice", ro, err)
		}
	}
}

// setRaw writes a raw key, bypassing the store's encoders.
func setRaw(t *testing.T, s *Store, key, val []byte) {
	t.Helper()
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.EnsureManifest(testManifest(testDim)); err != nil {
		t.Fatal(err)
	}
	recs := testRecords(4, 1, testDim)
	mustPut(t, s, recs)
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	good := appendData(nil, &recs[2], [32]byte{})
	setRaw(t, s, recordKey("00002", suffixData), good[:len(good)-3]) // truncated vector

	var ce *CorruptError
	if _, err := s.Get("00002"); !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) || ce.ID != "00002" {
		t.Errorf("Get(corrupt) = %v", err)
	}
	n := 0
	err = s.Scan(context.Background(), func(*Record) error { n++; return nil })
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"00002"`) || n != 2 {
		t.Errorf("Scan over a corrupt record = %v after %d records", err, n)
	}
	if err := s.ScanVectors(context.Background(), func(string, []float32) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ScanVectors = %v", err)
	}
	err = s.Check()
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "00002") {
		t.Errorf("Check = %v", err)
	}

	// Replacing the corrupt record repairs it, finding its stale index
	// entries by scanning.
	mustPut(t, s, []Record{testRecord("00002", 5, testDim)})
	if err := s.Check(); err != nil {
		t.Errorf("Check after repair = %v", err)
	}

	// Inconsistencies Check must see.
	setRaw(t, s, hashKey([32]byte{1}, "ghost"), nil)
	setRaw(t, s, recordKey("00001", suffixMeta), []byte{9})
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(pathKey(recs[3].Path, "00003")) }); err != nil {
		t.Fatal(err)
	}
	setRaw(t, s, []byte("zz"), nil)
	setRaw(t, s, keyCount, putUint(77))
	err = s.Check()
	for _, want := range []string{"names a missing record", "unknown meta format 9", "path index entry missing", "outside the store layout", "count is 77"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v; want it to report %q", err, want)
		}
	}
}

func TestDiskSizeSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 300 × 4096 store")
	}
	path := filepath.Join(t.TempDir(), "db")
	s := openTestStoreAt(t, path, 4096)
	recs := testRecords(300, 1, 4096)
	for i := 0; i < len(recs); i += 64 {
		mustPut(t, s, recs[i:min(i+64, len(recs))])
	}
	size, err := s.DiskSize()
	if err != nil {
		t.Fatal(err)
	}
	var apparent int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, _ error) error {
		if fi, err := d.Info(); err == nil && d.Type().IsRegular() {
			apparent += fi.Size()
		}
		return nil
	})
	t.Logf("300 × 4096 store: DiskSize %.1f MiB on disk, files' apparent length %.1f MiB (vectors alone %.1f MiB)",
		float64(size)/(1<<20), float64(apparent)/(1<<20), 300*4096*4/float64(1<<20))
	// 4.7 MiB of vectors; badger's defaults would preallocate a 2 GiB value log.
	if size > 32<<20 {
		t.Errorf("DiskSize %d bytes for 4.7 MiB of vectors", size)
	}
}

func TestBigBatchSplits(t *testing.T) {
	// A 1 MiB memtable caps a transaction at about 1,600 entries, so 1,000
	// records (4 entries each) make badger report ErrTxnTooBig and Put
	// splits the batch.
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.EnsureManifest(testManifest(testDim)); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, testRecords(1000, 1, testDim))
	if n, _ := s.Count(); n != 1000 {
		t.Errorf("Count = %d", n)
	}
	if g, _ := s.Generation(); g < 2 {
		t.Errorf("generation %d: the batch was not split", g)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	if err := s.Delete(slices.Collect(func(yield func(string) bool) {
		for i := range 1000 {
			if !yield(fmt.Sprintf("%05d", i)) {
				return
			}
		}
	})...); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(); n != 0 {
		t.Errorf("Count after deleting all = %d", n)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

func TestLogOption(t *testing.T) {
	var log strings.Builder
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if log.Len() == 0 {
		t.Fatal("badger logged nothing to Options.Log")
	}
	for _, line := range strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "badger: ") {
			t.Errorf("log line %q", line)
		}
	}
}

func TestConcurrentScanAndPut(t *testing.T) {
	s := openTestStore(t)
	done := make(chan error, 1)
	go func() {
		for b := range 20 {
			recs := make([]Record, 10)
			for j := range recs {
				recs[j] = testRecord(fmt.Sprintf("%03d", b*10+j), 1, testDim)
			}
			if err := s.Put(recs); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		// Each scan reads one snapshot: whole batches only.
		n := 0
		err := s.ScanVectors(context.Background(), func(id string, v []float32) error {
			if !slices.Equal(v, testRecord(id, 1, testDim).Vector) {
				return fmt.Errorf("%s: wrong vector", id)
			}
			n++
			return nil
		})
		if err != nil || n%10 != 0 {
			t.Fatalf("scan during writes: %d records, %v", n, err)
		}
	}
	if n, _ := s.Count(); n != 200 {
		t.Errorf("Count = %d", n)
	}
}

// wantNotStore checks that err is a *NotStoreError with these facts, and
// that its message names the path and gives no advice (the front end's).
func wantNotStore(t *testing.T, err error, path string, problem NotStoreProblem) {
	t.Helper()
	var ns *NotStoreError
	if !errors.As(err, &ns) || ns.Path != path || ns.Problem != problem {
		t.Errorf("Open(%s) = %v (%#v), want a NotStoreError with problem %d", path, err, ns, problem)
		return
	}
	if msg := err.Error(); !strings.Contains(msg, strconv.Quote(path)) || strings.Contains(msg, "--") {
		t.Errorf("Open(%s): message %q", path, msg)
	}
}

// TestScanVectorsParts: every record once, with its vector, whatever the
// number of parts (more parts than records included); each part in id
// order; an error of fn stops the scan and comes back as it was.
func TestScanVectorsParts(t *testing.T) {
	s := openTestStore(t)
	var recs []Record
	for i := range 37 {
		recs = append(recs, testRecord(fmt.Sprintf("r%03d", i), 1, testDim))
	}
	mustPut(t, s, recs)
	ctx := context.Background()
	for _, parts := range []int{1, 2, 3, 7, 64} {
		var mu sync.Mutex
		seen := map[string]int{}
		last := map[int]string{}
		err := s.ScanVectorsParts(ctx, parts, func(p int, id string, v []float32) error {
			mu.Lock()
			defer mu.Unlock()
			if p < 0 || p >= parts {
				t.Errorf("parts %d: part %d", parts, p)
			}
			if id <= last[p] {
				t.Errorf("parts %d: part %d gave %q after %q", parts, p, id, last[p])
			}
			last[p] = id
			seen[id]++
			if !slices.Equal(v, recs[slices.IndexFunc(recs, func(r Record) bool { return r.ID == id })].Vector) {
				t.Errorf("parts %d: %s: vector differs", parts, id)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("parts %d: %v", parts, err)
		}
		if len(seen) != len(recs) {
			t.Errorf("parts %d: %d records, want %d", parts, len(seen), len(recs))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("parts %d: %s passed %d times", parts, id, n)
			}
		}
		if parts > 1 && parts <= len(recs) && len(last) != parts {
			t.Errorf("parts %d: %d parts called fn", parts, len(last))
		}
	}
	stop := errors.New("stop")
	err := s.ScanVectorsParts(ctx, 3, func(p int, id string, _ []float32) error {
		if id == "r020" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("fn's error: got %v, want it unchanged", err)
	}
}
