package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/store"
)

// PositionsPath is the file beside a store that records where each
// record's vector lies in the store's value log (store.WritePositions), so
// that a query's exact reads are one pread each instead of a badger lookup.
func PositionsPath(db string) string { return db + ".vpos" }

// writePositions writes the positions file of st's current state. It only
// saves time on later reads, so a failure is a note, not an error.
func (a *App) writePositions(ctx context.Context, st *store.Store, p Progress) {
	path := PositionsPath(st.Path())
	fsutil.RemoveStaleTemps(path)
	started := false
	_, err := st.WritePositions(ctx, path, func(done, total int) {
		if !started {
			p.Start("vector positions", "files", int64(total))
			started = true
		}
		p.Add(1)
	})
	if started {
		p.Done()
	}
	if err != nil && ctx.Err() == nil {
		p.Note(fmt.Sprintf("warning: could not write %s (%v); queries read vectors through the store, which is slower", path, err))
	}
}

// usePositions lets a read-only store read vectors by position, writing
// the positions file first when it is missing or was made for another
// state of the store. Without it reads go through badger as before.
func (a *App) usePositions(ctx context.Context, st *store.Store, p Progress) {
	if !st.ReadOnly() || st.PositionsLoaded() {
		return
	}
	path := PositionsPath(st.Path())
	err := st.UsePositions(path)
	if err == nil || !(errors.Is(err, fs.ErrNotExist) || errors.Is(err, store.ErrPositionsStale)) {
		return
	}
	a.writePositions(ctx, st, p)
	st.UsePositions(path)
}
