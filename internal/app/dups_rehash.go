package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/phash"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// RehashResult is types.RehashResult.
type RehashResult = types.RehashResult

// BadImage is types.BadImage.
type BadImage = types.BadImage

// rehashBatch is how many records' hashes are written per SetHashes call.
const rehashBatch = 256

// rehashHook, when set (by tests), is called once rehash has found
// records to hash, before it writes any.
var rehashHook func()

// rehash computes the perceptual hashes of every record of st that has
// none or lacks the centre pHash (hashed before it was added), from its recorded source file, when that file still holds the
// stored content (its SHA-256 is checked first); under, when not empty,
// limits it to the files under that folder. Files that are gone, changed or
// undecodable are listed, not fatal. Hashes are written in batches as they
// come (SetHashes), so an interrupted run keeps what it did. The caller
// holds a.writeMu: these are writes, and another operation of the process
// may be releasing value-log pages on the promise that none happens.
func rehash(ctx context.Context, st *store.Store, under string, p Progress) (RehashResult, error) {
	var res RehashResult
	var ids []string
	err := st.ScanHashes(ctx, func(id string, h store.Hashes) error {
		if !h.Present || !h.HasCentre {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return res, err
	}
	heads, err := st.Heads(ids)
	if err != nil {
		return res, err
	}
	if under != "" {
		kept := heads[:0]
		for _, h := range heads {
			path, _ := filepath.Abs(h.Path)
			if types.Inside(under, path) {
				kept = append(kept, h)
			}
		}
		heads = kept
	}
	res.Missing = len(heads)
	if len(heads) == 0 {
		return res, nil
	}
	if rehashHook != nil {
		rehashHook()
	}
	p.Start("rehash", "img", int64(len(heads)))
	defer p.Done()
	var mu sync.Mutex
	var pending []store.HashUpdate
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := st.SetHashes(pending)
		res.Hashed += len(pending)
		pending = pending[:0]
		return err
	}
	work := make(chan store.Head)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for h := range work {
				ph, why := hashSource(h)
				mu.Lock()
				switch {
				case why == nil:
					pending = append(pending, store.HashUpdate{ID: h.ID, Hashes: recordHashes(ph, true)})
					if len(pending) >= rehashBatch {
						if err := flush(); err != nil {
							select {
							case errc <- err:
							default:
							}
						}
					}
				case errors.Is(why, fs.ErrNotExist):
					res.Gone = append(res.Gone, h.Path)
				case errors.Is(why, errChanged):
					res.Changed = append(res.Changed, h.Path)
				default:
					res.Bad = append(res.Bad, BadImage{Path: h.Path, Reason: why.Error()})
				}
				mu.Unlock()
				p.Add(1)
			}
		})
	}
	for _, h := range heads {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- h:
		case err := <-errc:
			close(work)
			wg.Wait()
			return res, err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return res, err
	default:
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// hashSource reads a record's source file and hashes it, refusing a file
// whose content is no longer the stored one.
func hashSource(h store.Head) (phash.Hashes, error) {
	data, err := readStored(h.Path, h.SHA256)
	if err != nil {
		return phash.Hashes{}, err
	}
	ph, err := embed.HashFile(h.Path, data, 0)
	if err != nil {
		return phash.Hashes{}, fmt.Errorf("cannot decode: %w", err)
	}
	return ph, nil
}
