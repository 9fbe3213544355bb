package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/internal/vec"
	"github.com/vecimg/vecimg/store"
)

// RemoveOptions lists the stored records to delete.
type RemoveOptions struct {
	IDs      []string
	Progress Progress
}

// RemovedRecord is types.RemovedRecord.
type RemovedRecord = types.RemovedRecord

// RemoveResult is types.RemoveResult.
type RemoveResult = types.RemoveResult

// Remove deletes the records with the given ids (never the image files) in
// one atomic batch and brings the index up to date. Every id is checked
// first: if any is malformed or not stored, nothing is deleted and the
// error lists them all. An id given twice is deleted once.
func (a *App) Remove(ctx context.Context, o RemoveOptions) (RemoveResult, error) {
	res := RemoveResult{Removed: []RemovedRecord{}}
	if len(o.IDs) == 0 {
		return res, invalidf("rm needs at least one ID (the ids that `vecimg dups`, `outliers` or `similar` print)")
	}
	var bad []string
	for _, id := range o.IDs {
		if err := vec.CheckID(id); err != nil {
			bad = append(bad, fmt.Sprintf("%q: %v", id, err))
		}
	}
	if len(bad) > 0 {
		return res, invalidf("rm: malformed ids (nothing deleted): %s", strings.Join(bad, "; "))
	}
	if a.cfg.ReadOnly {
		return res, fmt.Errorf("%w: rm needs the store open for writing", store.ErrReadOnly)
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	st, _, _, err := a.nonEmptyStore() // read-only until the ids are checked (Config.LateWrite)
	if err != nil {
		return res, err
	}
	ids := slices.Clone(o.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var missing []string
	for _, id := range ids {
		r, err := st.Get(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			missing = append(missing, id)
		case err != nil:
			return res, err
		default:
			res.Removed = append(res.Removed, RemovedRecord{ID: id, Path: r.Path})
		}
	}
	if len(missing) > 0 {
		res.Removed = []RemovedRecord{}
		return res, &msgError{kind: ErrNotFound, msg: fmt.Sprintf("rm: %d of %d ids are not stored (nothing deleted): %s",
			len(missing), len(ids), strings.Join(quoteAll(missing), ", "))}
	}
	if st, err = a.writable(false); err != nil {
		res.Removed = []RemovedRecord{}
		return res, err
	}
	// Delete checks again, atomically, that every id is stored.
	if err := st.Delete(ids...); err != nil {
		res.Removed = []RemovedRecord{}
		return res, fmt.Errorf("deleting %d records from %s: %w", len(ids), st.Path(), err)
	}
	if err := a.syncIndex(ctx, st, a.progress(o.Progress)); err != nil {
		return res, fmt.Errorf("the records are deleted, but updating the index failed (it is brought up to date on the next query): %w", err)
	}
	if n, err := st.Count(); err == nil {
		res.Images = n
	}
	return res, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
