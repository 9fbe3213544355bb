package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// Move is types.Move.
type Move = types.Move

// MoveResult is types.MoveResult.
type MoveResult = types.MoveResult

// moveCommit is how many files move between two commits of record deletions.
const moveCommit = 100

// planMoves lists the moves of every member that is not kept, to dir/<id><ext>
// (the id is the path relative to the ingested folder, so relative paths are
// preserved), and checks everything before anything moves: every source
// exists and is the stored file, every kept image exists, no destination
// exists, no two moves share one.
func planMoves(groups []DupGroup, dir string) ([]Move, error) {
	var moves []Move
	seen := map[string]bool{} // an image in two groups (identical and near) moves once
	to := map[string]string{}
	var problems []string
	for _, g := range groups {
		keep := g.Members[0]
		if _, err := os.Stat(keep.Path); err != nil {
			problems = append(problems, fmt.Sprintf("the kept image %s of group %d is not there (%v)", keep.Path, g.Group, errText(err)))
		}
		for _, m := range g.Members[1:] {
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			dst := filepath.Join(dir, filepath.FromSlash(m.ID)+filepath.Ext(m.Path))
			if other, dup := to[dst]; dup {
				problems = append(problems, fmt.Sprintf("%s and %s would both move to %s", other, m.Path, dst))
			}
			to[dst] = m.Path
			if _, err := os.Lstat(dst); err == nil {
				problems = append(problems, (&existsError{dst}).Error())
			}
			if err := sameContent(m.Path, m.SHA256); err != nil {
				problems = append(problems, err.Error())
			}
			moves = append(moves, Move{Group: g.Group, ID: m.ID, From: m.Path, To: dst, Keep: g.Keep})
		}
	}
	// A kept image is never moved, even when another group lists it.
	kept := map[string]bool{}
	for _, g := range groups {
		kept[g.Keep] = true
	}
	out := moves[:0]
	for _, mv := range moves {
		if !kept[mv.ID] {
			out = append(out, mv)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
		}
		return nil, optErr(nil, nil, "{move-to}: nothing moved: %s", strings.Join(problems, "; "))
	}
	return out, nil
}

// sameContent checks that the file at path still has the stored SHA-256.
func sameContent(path, sha string) error {
	switch err := checkStored(path, sha); {
	case errors.Is(err, errChanged):
		return fmt.Errorf("%s changed since it was stored (run `vecimg ingest` on its folder first)", path)
	case err != nil:
		return fmt.Errorf("%s: %s", path, errText(err))
	}
	return nil
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// moveDuplicates carries out the plan: the CSV row of each move is written
// and synced first, then the file moves (a rename, or a copy, sync and
// remove across file systems; never over an existing file), and every
// moveCommit files their records are deleted in one batch.
func (a *App) moveDuplicates(ctx context.Context, st *store.Store, moves []Move, dir string, p Progress) (MoveResult, error) {
	res := MoveResult{Dir: dir, Moves: moves}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, optErr(nil, err, "{move-to} %s: %v", dir, err)
	}
	name := filepath.Join(dir, "vecimg-dups-moved-"+time.Now().UTC().Format("20060102-150405")+".csv")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return res, optErr(nil, err, "{move-to}: writing the list of moves: %v", err)
	}
	defer f.Close()
	res.CSV = name
	cw := csv.NewWriter(f)
	writeRow := func(row ...string) error {
		cw.Write(row)
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return f.Sync()
	}
	if err := writeRow("group", "id", "from", "to", "kept"); err != nil {
		return res, err
	}
	p.Start("dups: moving", "file", int64(len(moves)))
	defer p.Done()
	var done []string
	commit := func() error {
		if len(done) == 0 {
			return nil
		}
		if err := st.Delete(done...); err != nil {
			return fmt.Errorf("the files listed in %s moved, but deleting their %d records failed (run `vecimg rm` with their ids): %w", name, len(done), err)
		}
		res.Removed += len(done)
		done = done[:0]
		return nil
	}
	for i, mv := range moves {
		if err := ctx.Err(); err != nil {
			res.Moves = moves[:i]
			if cerr := commit(); cerr != nil {
				return res, cerr
			}
			return res, fmt.Errorf("interrupted after %d of %d moves (listed in %s): %w", i, len(moves), name, err)
		}
		if err := writeRow(strconv.Itoa(mv.Group), mv.ID, mv.From, mv.To, mv.Keep); err != nil {
			return res, fmt.Errorf("writing %s: %w", name, err)
		}
		if err := moveFile(mv.From, mv.To); err != nil {
			res.Moves = moves[:i]
			if cerr := commit(); cerr != nil {
				return res, cerr
			}
			return res, fmt.Errorf("moving %s to %s: %w (%d files moved before, listed in %s; this one stays where it was)", mv.From, mv.To, err, i, name)
		}
		done = append(done, mv.ID)
		if len(done) == moveCommit {
			if err := commit(); err != nil {
				return res, err
			}
		}
		p.Add(1)
	}
	if err := commit(); err != nil {
		return res, err
	}
	if err := a.syncIndex(ctx, st, p); err != nil {
		return res, fmt.Errorf("the files moved and their records are deleted, but updating the index failed (it is brought up to date on the next query): %w", err)
	}
	return res, nil
}

// linkFile is os.Link (a variable so that tests can play a file system
// without hard links).
var linkFile = os.Link

// moveFile moves src to dst, creating dst's folder, never replacing an
// existing dst: a hard link then removing src on one file system, else a
// copy to a temporary name, synced, put in place (placeNoReplace), then src
// removed. Until it returns nil, src is where it was.
func moveFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := linkFile(src, dst); err == nil {
		return os.Remove(src)
	} else if errors.Is(err, fs.ErrExist) {
		return &existsError{dst}
	}
	// Another file system (or no hard links): copy, then link the copy in.
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".vecimg-move-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := placeNoReplace(tmp.Name(), dst); err != nil {
		return err
	}
	return os.Remove(src)
}

// existsError refuses a move onto an existing file; it matches
// fs.ErrExist.
type existsError struct{ path string }

func (e *existsError) Error() string { return e.path + " exists (nothing is ever overwritten)" }
func (e *existsError) Unwrap() error { return fs.ErrExist }

// placeNoReplace gives the complete file tmp the name dst, failing (with
// an error matching fs.ErrExist) when dst exists: a hard link, or where the
// file system has none (FAT, exFAT, some network shares) a rename that
// refuses to replace (renameNoReplace). tmp may be left behind.
func placeNoReplace(tmp, dst string) error {
	err := linkFile(tmp, dst)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return &existsError{dst}
	}
	if rerr := renameNoReplace(tmp, dst); rerr != nil {
		if errors.Is(rerr, fs.ErrExist) {
			return &existsError{dst}
		}
		return fmt.Errorf("%w (and a rename that cannot replace a file: %v)", err, rerr)
	}
	return nil
}
