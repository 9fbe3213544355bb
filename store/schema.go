package store

import (
	"context"
	"slices"

	badger "github.com/dgraph-io/badger/v4"
)

// Unsealed counts the record values (data and metadata counted separately)
// still in the format of schemas 1 and 2, which carry no checksum: values
// that Check and every read cannot verify until Reseal or a rewrite seals
// them. It looks at the first byte of every value, so it reads the whole
// value log once, like Check.
func (s *Store) Unsealed(ctx context.Context) (data, meta int, err error) {
	err = s.view("count unsealed", func(txn *badger.Txn) error {
		it := scanIterator(txn)
		defer it.Close()
		n := 0
		for it.Seek(prefixRecord); it.ValidForPrefix(prefixRecord); it.Next() {
			item := it.Item()
			_, suffix, ok := parseRecordKey(item.Key())
			if !ok {
				continue // Check reports it
			}
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return callbackError{err}
				}
			}
			err := item.Value(func(v []byte) error {
				if len(v) > 0 && v[0] == legacyFormat {
					if suffix == suffixData {
						data++
					} else {
						meta++
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return callbackErr(ctx.Err())
	})
	return data, meta, err
}

// resealChunk is how many values Reseal rewrites per commit.
const resealChunk = 512

// Reseal rewrites every record value still in the checksum-less format of
// schemas 1 and 2 in the current one, with its CRC-32C, leaving its content
// (vector bytes, path, hash, label, extras) exactly as it was. A value that
// does not decode is left alone and reported by Check. It returns how many
// values it rewrote; progress, when not nil, is called after each commit
// with that running count.
//
// Each chunk commits atomically and the rewrite is idempotent, so an
// interrupted Reseal is finished by running it again. It does not bump the
// generation, but rewriting a data value changes its version (ScanVersions):
// the next index update re-reads those vectors (their codes come out the
// same).
func (s *Store) Reseal(ctx context.Context, progress func(done int)) (int, error) {
	if s.readOnly {
		return 0, s.wrapf(ErrReadOnly, "reseal")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	done := 0
	var from []byte // resume key: the scan restarts after each commit
	for {
		type kv struct{ k, v []byte }
		var batch []kv
		next := []byte(nil)
		err := s.db.View(func(txn *badger.Txn) error {
			it := scanIterator(txn)
			defer it.Close()
			start := prefixRecord
			if from != nil {
				start = from
			}
			for it.Seek(start); it.ValidForPrefix(prefixRecord); it.Next() {
				if len(batch) == resealChunk {
					next = it.Item().KeyCopy(nil)
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				item := it.Item()
				_, suffix, ok := parseRecordKey(item.Key())
				if !ok {
					continue
				}
				err := item.Value(func(v []byte) error {
					if len(v) == 0 || v[0] != legacyFormat {
						return nil
					}
					if nv := resealed(v, suffix); nv != nil {
						batch = append(batch, kv{item.KeyCopy(nil), nv})
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return done, s.wrapf(err, "reseal")
		}
		if len(batch) > 0 {
			err = s.db.Update(func(txn *badger.Txn) error {
				for _, e := range batch {
					if err := txn.Set(e.k, e.v); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return done, s.wrapf(err, "reseal")
			}
			done += len(batch)
			if progress != nil {
				progress(done)
			}
		}
		if next == nil {
			return done, nil
		}
		from = next
	}
}

// resealed returns the current-format encoding of a format-1 value, or nil
// when it does not decode. A format-1 data value is a format-2 body with
// another first byte; a format-1 meta value lacks the flags byte.
func resealed(v []byte, suffix byte) []byte {
	if suffix == suffixData {
		if _, err := decodeData(v); err != nil {
			return nil
		}
		nv := slices.Grow(slices.Clone(v), crcLen)
		nv[0] = dataFormat
		return seal(nv, 0)
	}
	var m Meta
	if decodeMeta(v, &m) != nil {
		return nil
	}
	return appendMeta(nil, &m)
}
