package store

import (
	"context"
	"errors"

	badger "github.com/dgraph-io/badger/v4"
)

// Vectors reads the vectors of ids in one read transaction: dst[i] becomes
// the vector of ids[i] (reusing dst[i]'s capacity), or an empty slice when
// the store has no such record. len(dst) must be at least len(ids). It is
// the index's seam for re-ranking with exact vectors, so it decodes nothing
// but the vector.
func (s *Store) Vectors(ids []string, dst [][]float32) error {
	if len(dst) < len(ids) {
		return s.wrapf(errors.New("vectors: dst shorter than ids"), "vectors")
	}
	return s.view("vectors", func(txn *badger.Txn) error {
		for i, id := range ids {
			dst[i] = dst[i][:0]
			if checkID(id) != nil {
				continue
			}
			k := recordKey(id, suffixData)
			item, err := txn.Get(k)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			err = item.Value(func(v []byte) error {
				h, err := decodeData(v)
				if err != nil {
					return &CorruptError{Key: printableKey(k), ID: id, Reason: err.Error()}
				}
				dst[i] = decodeVector(dst[i], h.vec)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ScanVersions calls fn with every record id, in id order, and the version
// of its data key: badger's commit timestamp of the write that stored the
// record, which changes whenever the record (and so its vector) is
// rewritten. It reads keys only, no values, so it is cheap even for a large
// store; the index uses it to find what changed since it was built.
func (s *Store) ScanVersions(ctx context.Context, fn func(id string, version uint64) error) error {
	return s.view("scan versions", func(txn *badger.Txn) error {
		return eachDataKey(ctx, txn, func(id string, _ []byte, item *badger.Item) error {
			if err := fn(id, item.Version()); err != nil {
				return callbackError{err}
			}
			return nil
		})
	})
}
