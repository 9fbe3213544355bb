package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// Problem is types.Problem.
type Problem = types.Problem

// CheckOptions: Repair drops what is damaged (see Check).
type CheckOptions struct {
	Repair bool
}

// Repaired is types.Repaired.
type Repaired = types.Repaired

// CheckResult is types.CheckResult.
type CheckResult = types.CheckResult

// Check verifies the store (every checksum badger keeps, the records, hash
// and path indexes, labels, counters and manifest, the state file; see
// store.Check) and the index file beside it (header, checksums, dimension,
// generation) and lists stale temporary files of interrupted index saves
// and vector-positions writes.
// Without Repair it changes no byte of any file. With Repair it drops the
// damaged records and index entries (store.Repair), deletes a damaged index
// file (the next query rebuilds it) and the stale temporary files, then
// checks again. Problems are listed in the result; the error is
// ErrCheckFailed when there are any, or the error that stopped the check
// (ctx's error when it is cancelled, at once even while a read hangs).
// A read that does not return within store.CheckStallTimeout is a problem
// (Stalled): the check stops there and repairs nothing.
func (a *App) Check(ctx context.Context, o CheckOptions) (CheckResult, error) {
	res, err := a.check(ctx)
	if !o.Repair || !errors.Is(err, ErrCheckFailed) || res.Stalled {
		return res, err
	}
	if a.cfg.ReadOnly {
		return res, optErr(store.ErrReadOnly, nil, "%v: check {repair} needs the store open for writing", store.ErrReadOnly)
	}
	rep := &Repaired{Records: []string{}, Files: []string{}}
	a.mu.Lock()
	a.repair = true
	a.mu.Unlock()
	st, err := a.writable(false)
	if err != nil {
		return res, err
	}
	r, err := st.Repair()
	if err != nil {
		return res, err
	}
	rep.Records, rep.Keys = append(rep.Records, r.Records...), r.Keys
	for _, p := range res.Problems {
		if p.Where == "index" && p.Key != "" {
			if err := os.Remove(p.Key); err == nil {
				rep.Files = append(rep.Files, p.Key)
			}
		}
	}
	res, err = a.check(ctx)
	res.Repaired = rep
	return res, err
}

func (a *App) check(ctx context.Context) (CheckResult, error) {
	res := CheckResult{Store: a.cfg.DB, Problems: []Problem{}}
	st, err := a.Store()
	if errors.Is(err, store.ErrCorrupt) || errors.Is(err, store.ErrRollback) {
		// The store does not open: that is the problem to report.
		res.Problems = append(res.Problems, storeOpenProblems(err)...)
		return res, ErrCheckFailed
	}
	if err != nil {
		return res, err
	}
	res.Store, res.Schema = st.Path(), st.Schema()
	if err := st.CheckContext(ctx); err != nil {
		probs, ok := storeProblems(err)
		if !ok {
			return res, err
		}
		res.Problems = append(res.Problems, probs...)
		if errors.Is(err, store.ErrStalled) {
			// The store does not answer: read nothing more from it.
			res.Stalled = true
			return res, ErrCheckFailed
		}
	}
	if res.Records, err = st.Count(); err != nil {
		return res, err
	}
	if res.Generation, err = st.Generation(); err != nil {
		return res, err
	}
	if man, ok, err := st.Manifest(); err != nil {
		return res, err
	} else if ok {
		var probs []Problem
		res.Index, probs = checkIndexFile(st.Path(), man, res.Generation, res.Records)
		res.Problems = append(res.Problems, probs...)
	}
	for _, f := range []struct{ path, what, next string }{
		{IndexPath(st.Path()), "index save", "save"},
		{PositionsPath(st.Path()), "vector-positions write", "write"},
	} {
		for _, t := range fsutil.StaleTemps(f.path) {
			res.Problems = append(res.Problems, Problem{Where: "index", Key: t.Path,
				Reason: fmt.Sprintf("temporary file of an interrupted %s (%d bytes); the next %s removes it", f.what, t.Size, f.next)})
		}
	}
	res.OK = len(res.Problems) == 0
	if !res.OK {
		return res, ErrCheckFailed
	}
	return res, nil
}

// storeOpenProblems turns the error of a store that does not open (damaged
// files, a rollback) into problems.
func storeOpenProblems(err error) []Problem {
	if probs, ok := storeProblems(err); ok {
		return probs
	}
	return []Problem{{Where: "store", Reason: err.Error()}}
}

// storeProblems lists the *store.CorruptError and *store.FileError
// problems joined in err; ok is false when err is not a check finding (a
// read error, say).
func storeProblems(err error) (probs []Problem, ok bool) {
	var walk func(e error)
	walk = func(e error) {
		switch v := e.(type) {
		case *store.CorruptError:
			probs = append(probs, Problem{Where: "store", Key: v.Key, ID: v.ID, Reason: v.Reason})
			return
		case *store.FileError:
			probs = append(probs, Problem{Where: "store", Key: v.Path, Reason: v.Reason})
			return
		case *store.StallError:
			key := v.Key
			if key == "" {
				key = v.File
			}
			probs = append(probs, Problem{Where: "store", Key: key, ID: v.ID, Reason: fmt.Sprintf(
				"check stalled: no progress for %v while reading this %s, after %d records (%d value bytes); gave up waiting, what follows was not checked",
				v.Idle, v.Stage, v.Records, v.Bytes)})
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return probs, len(probs) > 0 && errors.Is(err, store.ErrCorrupt)
}
