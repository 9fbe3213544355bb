package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vecimg/vecimg/internal/merge"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// MergeOptions merges stores, or vecimg Parquet exports, into the App's
// store (created when missing).
type MergeOptions struct {
	Inputs     []string // store folders or Parquet exports, in priority order
	OnConflict string   // types.MergeRefuse (default) or types.MergeRename
	NoIndex    bool     // do not build or update the index afterwards
	Progress   Progress
}

// MergeResult is types.MergeResult.
type MergeResult = types.MergeResult

// Merge checks every input's manifest against the first's (and the
// store's, when it has one), walks all inputs once to find conflicts (the
// same id with different content), and only then creates or opens the store
// for writing and adds the records in committed batches; see internal/merge
// for the rule. A refused merge writes nothing; an interrupted one is
// resumed by running it again.
func (a *App) Merge(ctx context.Context, o MergeOptions) (MergeResult, error) {
	res := MergeResult{Into: a.cfg.DB}
	if len(o.Inputs) == 0 {
		return res, optInvalidf("merge needs at least one input store or Parquet export: vecimg merge {db} OUT STORE...")
	}
	switch o.OnConflict {
	case "", merge.Refuse, merge.Rename:
	default:
		return res, optInvalidf("{on-conflict} %q: use refuse or rename", o.OnConflict)
	}
	if a.cfg.ReadOnly {
		return res, fmt.Errorf("%w: merge needs the store open for writing", store.ErrReadOnly)
	}
	out, _ := filepath.Abs(a.cfg.DB)
	seen := map[string]string{}
	for _, in := range o.Inputs {
		abs, _ := filepath.Abs(in)
		if abs == out {
			return res, optInvalidf("merge input %s is the output store {db} %s: merge into another store", in, a.cfg.DB)
		}
		if prev, dup := seen[abs]; dup {
			return res, invalidf("merge input %s is given twice (also as %s)", in, prev)
		}
		seen[abs] = in
		if _, err := os.Stat(in); err != nil {
			return res, invalidf("merge input %s: %v", in, errors.Unwrap(err))
		}
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	var srcs []merge.Source
	defer func() {
		for _, s := range srcs {
			s.Close()
		}
	}()
	for _, in := range o.Inputs {
		s, err := merge.Open(in)
		if err != nil {
			return res, busy(err)
		}
		srcs = append(srcs, s)
	}
	var cur *store.Store
	if st, err := a.Store(); err == nil {
		cur = st
	} else if !errors.Is(err, ErrNoStore) {
		return res, err
	}
	p := a.progress(o.Progress)
	start := time.Now()
	mo := merge.Options{OnConflict: o.OnConflict}
	p.Start("merge: checking", "rec", -1)
	_, err := merge.Check(ctx, cur, srcs, mo)
	p.Done()
	if err != nil {
		var ce *merge.ConflictError
		if errors.As(err, &ce) || errors.Is(err, store.ErrManifestMismatch) {
			return res, &msgError{kind: ErrInvalid, cause: err, msg: err.Error()}
		}
		return res, err
	}
	st, err := a.writable(true)
	if err != nil {
		return res, err
	}
	var end func()
	mo.Progress, end = libraryProgress(p, oneStage("merge", "rec"))
	r, err := merge.Write(ctx, st, srcs, mo)
	end()
	res.MergeCounts, res.Seconds = mergeCounts(r), time.Since(start).Seconds()
	if err != nil {
		return res, err
	}
	if !o.NoIndex && (r.Written > 0 || r.Present > 0) {
		if err := a.syncIndex(ctx, st, p); err != nil {
			return res, err
		}
	}
	return res, nil
}

// mergeCounts is r in the front ends' types.
func mergeCounts(r merge.Result) types.MergeCounts {
	out := types.MergeCounts{Written: r.Written, Present: r.Present, Duplicates: r.Duplicates, NConflicts: r.NConflicts,
		Inputs: make([]types.MergeInput, len(r.Inputs)), Conflicts: make([]types.MergeConflict, len(r.Conflicts))}
	for i, in := range r.Inputs {
		out.Inputs[i] = types.MergeInput(in)
	}
	for i, c := range r.Conflicts {
		out.Conflicts[i] = types.MergeConflict(c)
	}
	return out
}
