package store

import (
	"context"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// HashUpdate sets the image hashes of one record.
type HashUpdate struct {
	ID     string
	Hashes Hashes // Present true to set them, false to clear them
}

// SetHashes writes image hashes into the records' metadata, keeping the
// label, distance and extras, without touching vectors or the generation
// (a saved index stays current). If any id is not stored, nothing is
// written and the error (matching ErrNotFound) lists the missing ids. If an
// id appears twice, the last update wins.
//
// Like SetLabels it writes through a badger WriteBatch: a crash part-way
// through leaves some records with their new hashes and the others as they
// were, each value whole.
func (s *Store) SetHashes(updates []HashUpdate) error {
	ids := make([]string, len(updates))
	for i, u := range updates {
		if err := checkID(u.ID); err != nil {
			return s.wrapf(err, "set hashes")
		}
		if err := u.Hashes.check(); err != nil {
			return s.wrapf(fmt.Errorf("%w: record %q: %v", ErrInvalid, u.ID, err), "set hashes")
		}
		ids[i] = u.ID
	}
	return s.updateMeta("set hashes", ids, func(i int, m *Meta) { m.Hashes = updates[i].Hashes })
}

// updateMeta applies edit to the metadata of each of ids (edit's i indexes
// ids), after checking that every id is stored (SetHashes).
func (s *Store) updateMeta(op string, ids []string, edit func(i int, m *Meta)) error {
	if len(ids) == 0 {
		return nil
	}
	if s.readOnly {
		return s.wrapf(ErrReadOnly, op)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mustHave(ids); err != nil {
		return s.wrapf(err, op)
	}
	if err := s.ensureSpace(metaRewriteBytes(ids)); err != nil {
		return s.wrapf(err, op)
	}
	if err := s.rewriteMeta(ids, edit); err != nil {
		return s.wrapf(err, op)
	}
	return nil
}

// metaRewriteBytes is about what rewriting the metadata of ids writes: per
// record its key and a metadata value with hashes (under 128 bytes unless
// the record carries large extra fields).
func metaRewriteBytes(ids []string) int64 {
	var n int64
	for _, id := range ids {
		n += int64(len(id)) + 128
	}
	return n
}

// mustHave returns an error matching ErrNotFound listing the ids that have
// no metadata key (SetHashes, SetLabels).
func (s *Store) mustHave(ids []string) error {
	var missing []string
	err := s.db.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			_, err := txn.Get(recordKey(id, suffixMeta))
			if errors.Is(err, badger.ErrKeyNotFound) {
				missing = append(missing, id)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("%w: no record with id %s", ErrNotFound, listIDs(missing, 10))
	}
	return err
}

// metaChunk is how many metadata values rewriteMeta reads before handing
// them to the write batch.
const metaChunk = 4096

// rewriteMeta reads the metadata of each of ids, lets edit change it and
// writes it back (in the current format) through one write batch, reading
// in chunks of metaChunk. The caller holds s.mu and has checked that every
// id exists.
func (s *Store) rewriteMeta(ids []string, edit func(i int, m *Meta)) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for start := 0; start < len(ids); start += metaChunk {
		end := min(start+metaChunk, len(ids))
		err := s.db.View(func(txn *badger.Txn) error {
			for i := start; i < end; i++ {
				mk := recordKey(ids[i], suffixMeta)
				item, err := txn.Get(mk)
				if err != nil {
					return err
				}
				var m Meta
				if err := item.Value(func(v []byte) error { return decodeMeta(v, &m) }); err != nil {
					return corruptValue(mk, ids[i], err)
				}
				edit(i, &m)
				if err := wb.Set(mk, appendMeta(nil, &m)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return wb.Flush()
}

// ScanHashes calls fn with the id and image hashes of every record, in id
// order, from one consistent snapshot. It reads only the metadata values
// (small, kept in badger's tables), never a vector, so it is cheap on a
// large store. Records without hashes are passed with Present false. It
// stops at the first error fn returns and returns it, or when ctx is done.
func (s *Store) ScanHashes(ctx context.Context, fn func(id string, h Hashes) error) error {
	return s.view("scan hashes", func(txn *badger.Txn) error {
		return eachRecordKey(ctx, txn, suffixMeta, func(id string, k []byte, item *badger.Item) error {
			var m Meta
			if err := item.Value(func(v []byte) error { return decodeMeta(v, &m) }); err != nil {
				return corruptValue(k, id, err)
			}
			return callbackErr(fn(id, m.Hashes))
		})
	})
}
