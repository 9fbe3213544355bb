package store

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
)

// RepairResult is what Repair dropped.
type RepairResult struct {
	Records []string // ids of the records dropped (data, metadata, labels and index entries)
	Keys    int      // index entries dropped (naming a missing record or disagreeing with it) or added (missing)
	Count   uint64   // records left (the count is set to it)
}

// Repair drops what Check finds damaged: every record a problem names (its
// data, metadata, labels and hash and path index entries) and every index
// entry that names a missing record or disagrees with its record, and adds
// the index entries an intact record lacks; then it
// sets the count to the records left and bumps the generation (so that the
// index file is rebuilt). Problems that are not about keys (a damaged table
// file, a rollback) are left to the caller to report. A kill part-way
// leaves some of it done; running Repair again finishes it.
func (s *Store) Repair() (RepairResult, error) {
	var res RepairResult
	if s.readOnly {
		return res, s.wrapf(ErrReadOnly, "repair")
	}
	err := s.Check()
	if err != nil && (!errors.Is(err, ErrCorrupt) || errors.Is(err, ErrStalled)) {
		return res, err // a stalled check does not say what to drop
	}
	problems := append(flattenErrors(err), s.preProblems...)
	if len(problems) == 0 {
		return res, nil
	}
	ids := map[string]bool{}
	var keys, missing [][]byte // index entries to drop, to add
	for _, p := range problems {
		ce, ok := p.(*CorruptError)
		if !ok || ce.raw == nil {
			continue
		}
		switch {
		case bytes.HasPrefix(ce.raw, prefixRecord) && ce.ID != "":
			ids[ce.ID] = true
		case bytes.HasPrefix(ce.raw, prefixLabel):
			keys = append(keys, ce.raw) // a label of another run, a missing record, or damaged
		case bytes.HasPrefix(ce.raw, prefixHash), bytes.HasPrefix(ce.raw, prefixPath):
			if strings.HasSuffix(ce.Reason, "index entry missing") {
				missing = append(missing, ce.raw)
			} else {
				keys = append(keys, ce.raw)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	err = s.db.View(func(txn *badger.Txn) error {
		for id := range ids {
			for _, k := range [][]byte{recordKey(id, suffixData), recordKey(id, suffixMeta)} {
				if err := wb.Delete(k); err != nil {
					return err
				}
			}
		}
		// One pass over both indexes and the labels for the dropped ids.
		it := keyIterator(txn, nil)
		defer it.Close()
		for _, p := range [][]byte{prefixHash, prefixPath, prefixLabel} {
			for it.Seek(p); it.ValidForPrefix(p); it.Next() {
				k := it.Item().Key()
				if i := bytes.LastIndexByte(k, sep); i >= 0 && ids[string(k[i+1:])] {
					if err := wb.Delete(bytes.Clone(k)); err != nil {
						return err
					}
				}
			}
		}
		for _, k := range keys {
			if err := wb.Delete(k); err != nil {
				return err
			}
		}
		for _, k := range missing {
			if id := k[bytes.LastIndexByte(k, sep)+1:]; !ids[string(id)] {
				if err := wb.Set(k, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return res, s.wrapf(err, "repair")
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		ids, err := listRecordIDs(txn)
		if err != nil {
			return err
		}
		gen, _, err := counters(txn)
		if err != nil {
			return err
		}
		res.Count = uint64(len(ids))
		return setCounters(txn, gen+1, res.Count)
	})
	if err != nil {
		return res, s.wrapf(err, "repair")
	}
	for id := range ids {
		res.Records = append(res.Records, id)
	}
	slices.Sort(res.Records)
	res.Keys = len(keys) + len(missing)
	if err := s.saveState(); err != nil {
		return res, s.wrapf(err, "repair (done; recording it failed)")
	}
	return res, nil
}

// flattenErrors lists the leaves of a tree of joined and wrapped errors
// that are store problems.
func flattenErrors(err error) []error {
	var out []error
	var walk func(e error)
	walk = func(e error) {
		switch v := e.(type) {
		case *CorruptError, *FileError:
			out = append(out, v)
			return
		}
		if u, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range u.Unwrap() {
				walk(x)
			}
		} else if x := errors.Unwrap(e); x != nil {
			walk(x)
		}
	}
	walk(err)
	return out
}
