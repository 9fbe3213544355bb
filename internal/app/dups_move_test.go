package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vecimg/vecimg/internal/testfix"
	"github.com/vecimg/vecimg/store"
)

// cancelAfter cancels a context after n files moved.
type cancelAfter struct {
	n      int
	cancel func()
}

func (p *cancelAfter) Start(string, string, int64) {}
func (p *cancelAfter) Note(string)                 {}
func (p *cancelAfter) Done()                       {}
func (p *cancelAfter) Add(d int64) {
	if p.n -= int(d); p.n == 0 {
		p.cancel()
	}
}

// moveFixture makes a store of n records whose files exist under src, and
// the moves of records 1..n-1 (record 0 kept) into dst.
func moveFixture(t *testing.T, n int) (*App, *store.Store, []Move, string, string) {
	t.Helper()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dups")
	a, err := Open(context.Background(), Config{DB: filepath.Join(dir, "v.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	st, err := a.writable(true)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureManifest(store.Manifest{Model: "m", Preset: "p", Dim: 2}); err != nil {
		t.Fatal(err)
	}
	var recs []store.Record
	var groups []DupGroup
	g := DupGroup{Group: 1, Kind: "near", Keep: "sub/0"}
	for i := range n {
		id := fmt.Sprintf("sub/%d", i)
		path := filepath.Join(src, id+".jpg")
		data := []byte(fmt.Sprintf("image %d", i))
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		recs = append(recs, store.Record{ID: id, Path: path, SHA256: sha, Width: 1, Height: 1, Vector: []float32{1, float32(i)}})
		g.Members = append(g.Members, DupMember{ID: id, Path: path, SHA256: sha, Keep: i == 0})
	}
	if err := st.Put(recs); err != nil {
		t.Fatal(err)
	}
	groups = append(groups, g)
	moves, err := planMoves(groups, dst)
	if err != nil {
		t.Fatal(err)
	}
	return a, st, moves, src, dst
}

// whereabouts checks that every file is either where it was, with its
// record, or at the destination a CSV row names, without its record.
func whereabouts(t *testing.T, st *store.Store, moves []Move, csvPath string, wantMoved int) {
	t.Helper()
	rows := map[string][]string{}
	if csvPath != "" {
		for _, r := range testfix.ReadCSV(t, csvPath)[1:] {
			rows[r[1]] = r
		}
	}
	moved := 0
	for _, mv := range moves {
		_, errFrom := os.Stat(mv.From)
		_, errTo := os.Stat(mv.To)
		has, _ := st.Has(mv.ID)
		switch {
		case errFrom == nil && errTo != nil && has:
			// where it was
		case errFrom != nil && errTo == nil && rows[mv.ID] != nil && rows[mv.ID][3] == mv.To && !has:
			moved++
		default:
			t.Errorf("%s: at source %v, at destination %v, record %v, csv row %v", mv.ID, errFrom == nil, errTo == nil, has, rows[mv.ID])
		}
	}
	if moved != wantMoved {
		t.Errorf("%d files moved, want %d", moved, wantMoved)
	}
}

func TestMoveInterrupted(t *testing.T) {
	a, st, moves, _, dst := moveFixture(t, 6)
	if len(moves) != 5 || moves[0].To != filepath.Join(dst, "sub", "1.jpg") {
		t.Fatalf("plan %+v", moves)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res, err := a.moveDuplicates(ctx, st, moves, dst, &cancelAfter{n: 2, cancel: cancel})
	if !errors.Is(err, context.Canceled) || len(res.Moves) != 2 || res.Removed != 2 {
		t.Fatalf("interrupted move: %+v, %v", res, err)
	}
	whereabouts(t, st, moves, res.CSV, 2)
	if n, _ := st.Count(); n != 4 {
		t.Errorf("%d records left, want 4", n)
	}
}

func TestMoveFails(t *testing.T) {
	a, st, moves, _, dst := moveFixture(t, 6)
	// The third move's folder cannot be made: a file stands in its way.
	os.MkdirAll(dst, 0o755)
	moves[2].To = filepath.Join(dst, "blocked", "3.jpg")
	os.WriteFile(filepath.Join(dst, "blocked"), []byte("a file"), 0o644)
	res, err := a.moveDuplicates(context.Background(), st, moves, dst, Quiet)
	if err == nil || !strings.Contains(err.Error(), "stays where it was") || res.Removed != 2 {
		t.Fatalf("failed move: %+v, %v", res, err)
	}
	whereabouts(t, st, moves, res.CSV, 2)
}

func TestMoveRefused(t *testing.T) {
	_, st, moves, src, dst := moveFixture(t, 4)
	var groups []DupGroup
	g := DupGroup{Group: 1, Keep: "sub/0"}
	for i := range 4 {
		p := filepath.Join(src, fmt.Sprintf("sub/%d.jpg", i))
		r, _ := st.Get(fmt.Sprintf("sub/%d", i))
		g.Members = append(g.Members, DupMember{ID: r.ID, Path: p, SHA256: r.SHA256})
	}
	groups = append(groups, g)
	// A destination that exists: refused before anything moves.
	os.MkdirAll(filepath.Join(dst, "sub"), 0o755)
	os.WriteFile(filepath.Join(dst, "sub", "2.jpg"), []byte("other"), 0o644)
	if _, err := planMoves(groups, dst); err == nil || !strings.Contains(err.Error(), "exists") || !strings.Contains(err.Error(), "nothing moved") {
		t.Errorf("existing destination: %v", err)
	}
	os.Remove(filepath.Join(dst, "sub", "2.jpg"))
	// A source that changed since it was stored, and a missing kept image.
	os.WriteFile(filepath.Join(src, "sub", "3.jpg"), []byte("edited"), 0o644)
	os.Remove(filepath.Join(src, "sub", "0.jpg"))
	_, err := planMoves(groups, dst)
	if err == nil || !strings.Contains(err.Error(), "changed since it was stored") || !strings.Contains(err.Error(), "kept image") {
		t.Errorf("changed source, missing kept image: %v", err)
	}
	whereabouts(t, st, moves[:2], "", 0) // sub/1 and sub/2: untouched
}

// On a file system without hard links (FAT, exFAT, some network shares)
// a move copies and then renames the copy into place, still never
// replacing a file that is there, and leaves no temporary file behind.
func TestMoveWithoutHardLinks(t *testing.T) {
	saved := linkFile
	t.Cleanup(func() { linkFile = saved })
	links := 0
	linkFile = func(oldname, newname string) error {
		links++
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EPERM}
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.jpg"), filepath.Join(dir, "out", "a.jpg")
	os.WriteFile(src, []byte("image bytes"), 0o644)
	if err := moveFile(src, dst); err != nil {
		t.Fatalf("move without hard links: %v", err)
	}
	if links != 2 {
		t.Errorf("%d links tried, want 2 (the file, then its copy)", links)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "image bytes" {
		t.Errorf("moved file: %q, %v", b, err)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("source still there after the move: %v", err)
	}

	// An existing destination stays as it was, and so does the source.
	src2 := filepath.Join(dir, "b.jpg")
	os.WriteFile(src2, []byte("other bytes"), 0o644)
	err := moveFile(src2, dst)
	if err == nil || !strings.Contains(err.Error(), "exists (nothing is ever overwritten)") {
		t.Fatalf("move onto an existing file = %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "image bytes" {
		t.Errorf("existing destination overwritten: %q", b)
	}
	if b, _ := os.ReadFile(src2); string(b) != "other bytes" {
		t.Errorf("source after the refused move: %q", b)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "out", ".vecimg-move-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
