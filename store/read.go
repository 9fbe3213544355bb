package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
)

// Get returns the record with the given id, or an error matching ErrNotFound.
func (s *Store) Get(id string) (Record, error) {
	var rec Record
	if err := checkID(id); err != nil {
		return rec, s.wrapf(err, "get")
	}
	err := s.db.View(func(txn *badger.Txn) error {
		dk := recordKey(id, suffixData)
		item, err := txn.Get(dk)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("record %q: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := item.Value(func(v []byte) error { return decodeInto(v, dk, id, &rec) }); err != nil {
			return err
		}
		mk := recordKey(id, suffixMeta)
		item, err = txn.Get(mk)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return &CorruptError{Key: printableKey(mk), ID: id, Reason: "metadata missing"}
		}
		if err != nil {
			return err
		}
		if err := item.Value(func(v []byte) error { return decodeMetaAt(v, mk, id, &rec.Meta) }); err != nil {
			return err
		}
		return labelOf(txn, s.run.Load(), id, &rec.Meta)
	})
	if err != nil {
		return Record{}, s.wrapf(err, "get")
	}
	rec.ID = id
	return rec, nil
}

// decodeInto decodes a data value into rec (reusing rec.Vector), naming the
// key and id in a *CorruptError on failure.
func decodeInto(v, key []byte, id string, rec *Record) error {
	h, err := decodeData(v)
	if err != nil {
		return corruptValue(key, id, err)
	}
	h.fill(rec)
	return nil
}

func decodeMetaAt(v, key []byte, id string, m *Meta) error {
	if err := decodeMeta(v, m); err != nil {
		return corruptValue(key, id, err)
	}
	return nil
}

// ByHash returns the id of a record whose content has the given SHA-256
// (64 hex digits); when several records share it, the smallest id.
func (s *Store) ByHash(sha string) (id string, ok bool, err error) {
	h, err := parseSHA(sha)
	if err != nil {
		return "", false, s.wrapf(err, "by hash")
	}
	return s.firstUnder(hashPrefix(h), "by hash")
}

// ByPath returns the id of a record stored from the given source path; when
// several records share it, the smallest id.
func (s *Store) ByPath(path string) (id string, ok bool, err error) {
	if path == "" {
		return "", false, nil
	}
	return s.firstUnder(pathPrefix(path), "by path")
}

// firstUnder returns the rest of the first key under prefix.
func (s *Store) firstUnder(prefix []byte, op string) (id string, ok bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, prefix)
		defer it.Close()
		it.Seek(prefix)
		if it.ValidForPrefix(prefix) {
			id, ok = string(it.Item().Key()[len(prefix):]), true
		}
		return nil
	})
	if err != nil {
		return "", false, s.wrapf(err, op)
	}
	return id, ok, nil
}

// Count returns the number of records.
func (s *Store) Count() (int, error) {
	var n uint64
	err := s.db.View(func(txn *badger.Txn) (err error) {
		n, _, err = getUint(txn, keyCount)
		return err
	})
	if err != nil {
		return 0, s.wrapf(err, "count")
	}
	return int(n), nil
}

// Generation returns a counter that every Put and Delete increments (once
// per committed batch) and nothing else does: SetLabels, PutClusterRun and
// EnsureManifest leave it alone. A saved index that remembers the generation
// it was built at is current exactly when the numbers agree.
func (s *Store) Generation() (uint64, error) {
	var g uint64
	err := s.db.View(func(txn *badger.Txn) (err error) {
		g, _, err = getUint(txn, keyGen)
		return err
	})
	if err != nil {
		return 0, s.wrapf(err, "generation")
	}
	return g, nil
}

// Scan calls fn for every record in id order (byte order of the ids), from
// one consistent snapshot. It stops at the first error fn returns and
// returns it, or when ctx is done.
//
// The *Record passed to fn, its Vector and its Meta are reused for the next
// record: fn must not keep them after it returns (use Record.Clone, or copy
// the fields it needs). Strings (ID, Path, SHA256) and Meta.Extra are fresh
// per record and may be kept.
func (s *Store) Scan(ctx context.Context, fn func(r *Record) error) error {
	return s.view("scan", func(txn *badger.Txn) error { return scanRecords(ctx, txn, s.run.Load(), fn) })
}

// ScanVectors calls fn with the id and vector of every record in id order,
// decoding nothing else. v is reused for the next record: fn must not keep
// it after it returns. It stops at the first error of fn or when ctx is done.
func (s *Store) ScanVectors(ctx context.Context, fn func(id string, v []float32) error) error {
	return s.view("scan vectors", func(txn *badger.Txn) error { return scanVectors(ctx, txn, fn) })
}

// IDs returns every record id in id order.
func (s *Store) IDs() ([]string, error) {
	var ids []string
	err := s.view("ids", func(txn *badger.Txn) (err error) {
		ids, err = listRecordIDs(txn)
		return err
	})
	return ids, err
}

// view runs fn in a read transaction and wraps its errors with op, except
// those fn wrapped in callbackError (an error of the caller's callback, or
// ctx's), which it returns unwrapped, as the callback or ctx gave them.
func (s *Store) view(op string, fn func(txn *badger.Txn) error) error {
	err := s.db.View(fn)
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	if err != nil {
		return s.wrapf(err, op)
	}
	return nil
}

// callbackError carries an error returned by a caller's callback out of a
// scan unchanged.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

func listRecordIDs(txn *badger.Txn) ([]string, error) {
	var ids []string
	it := scanIterator(txn)
	defer it.Close()
	for it.Seek(prefixRecord); it.ValidForPrefix(prefixRecord); it.Next() {
		k := it.Item().Key()
		id, suffix, ok := parseRecordKey(k)
		if !ok {
			return nil, &CorruptError{Key: printableKey(k), Reason: "malformed record key"}
		}
		if suffix == suffixData {
			ids = append(ids, string(id))
		}
	}
	return ids, nil
}

// scanIterator iterates the record keys (see keyIterator).
func scanIterator(txn *badger.Txn) *badger.Iterator { return keyIterator(txn, prefixRecord) }

// keyIterator iterates the keys under prefix (every key when prefix is nil)
// without badger's value prefetching: a value read through Item.Value is
// then a slice of the memory-mapped value log, decoded in place, while
// prefetching copies every value first (from a goroutine per item). On a
// warm page cache, scanning 20,000 4096-d records took 78–89 ms without
// prefetching and 143–150 ms with it (BenchmarkScan/ScanVectors); the
// kernel's read-ahead covers the value log, which a scan reads in about the
// order it was written.
func keyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = false
	o.Prefix = prefix
	return txn.NewIterator(o)
}

// scanRecords walks the r/ keys: each id's data key is followed by its meta
// key; labels are those of clustering run (see labels.go).
func scanRecords(ctx context.Context, txn *badger.Txn, run uint64, fn func(r *Record) error) error {
	it := scanIterator(txn)
	defer it.Close()
	labels := newLabelCursor(txn, run)
	defer labels.close()
	var rec Record
	pending := false // rec holds data waiting for its metadata
	n := 0
	for it.Seek(prefixRecord); it.ValidForPrefix(prefixRecord); it.Next() {
		item := it.Item()
		k := item.Key()
		id, suffix, ok := parseRecordKey(k)
		if !ok {
			return &CorruptError{Key: printableKey(k), Reason: "malformed record key"}
		}
		switch {
		case suffix == suffixData && pending:
			return &CorruptError{Key: printableKey(recordKey(rec.ID, suffixMeta)), ID: rec.ID, Reason: "metadata missing"}
		case suffix == suffixData:
			rec.ID = string(id)
			if err := item.Value(func(v []byte) error { return decodeInto(v, k, rec.ID, &rec) }); err != nil {
				return err
			}
			pending = true
		case !pending || string(id) != rec.ID:
			return &CorruptError{Key: printableKey(k), ID: string(id), Reason: "metadata without record data"}
		default:
			if err := item.Value(func(v []byte) error { return decodeMetaAt(v, k, rec.ID, &rec.Meta) }); err != nil {
				return err
			}
			if err := labels.fill(rec.ID, &rec.Meta); err != nil {
				return err
			}
			pending = false
			if n++; n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return callbackError{err}
				}
			}
			if err := fn(&rec); err != nil {
				return callbackError{err}
			}
		}
	}
	if pending {
		return &CorruptError{Key: printableKey(recordKey(rec.ID, suffixMeta)), ID: rec.ID, Reason: "metadata missing"}
	}
	return callbackErr(ctx.Err())
}

// ScanVectorsParts is ScanVectors split into parts ranges of ids, each read
// by its own goroutine at once from one snapshot: fn is called concurrently,
// with the number of the part (0 to parts-1) that read the record; one
// part's calls follow one another, in id order. Every record is passed
// once. v is reused for that part's next record. The first error of fn, of
// a read or of ctx stops every part and is returned. The ranges come from
// a listing of the ids first (keys only); parts ≤ 1 is ScanVectors.
func (s *Store) ScanVectorsParts(ctx context.Context, parts int, fn func(part int, id string, v []float32) error) error {
	if parts <= 1 {
		return s.ScanVectors(ctx, func(id string, v []float32) error { return fn(0, id, v) })
	}
	return s.view("scan vectors", func(txn *badger.Txn) error {
		ids, err := listRecordIDs(txn)
		if err != nil {
			return err
		}
		parts = max(min(parts, len(ids)), 1)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var (
			wg    sync.WaitGroup
			once  sync.Once
			first error
		)
		for p := range parts {
			from := recordKey(ids[p*len(ids)/parts], suffixData)
			var to []byte
			if p+1 < parts {
				to = recordKey(ids[(p+1)*len(ids)/parts], suffixData)
			}
			wg.Go(func() {
				err := scanVectorsIn(ctx, txn, from, to, func(id string, v []float32) error { return fn(p, id, v) })
				if err != nil {
					once.Do(func() { first = err; cancel() })
				}
			})
		}
		wg.Wait()
		return first
	})
}

func scanVectors(ctx context.Context, txn *badger.Txn, fn func(id string, v []float32) error) error {
	return scanVectorsIn(ctx, txn, prefixRecord, nil, fn)
}

// scanVectorsIn is scanVectors over the record keys from from up to, not
// including, to (nil: to the end).
func scanVectorsIn(ctx context.Context, txn *badger.Txn, from, to []byte, fn func(id string, v []float32) error) error {
	var vec []float32
	return eachRecordKeyIn(ctx, txn, suffixData, from, to, func(id string, k []byte, item *badger.Item) error {
		err := item.Value(func(v []byte) error {
			h, err := decodeData(v)
			if err != nil {
				return corruptValue(k, id, err)
			}
			vec = decodeVector(vec, h.vec)
			return nil
		})
		if err != nil {
			return err
		}
		if err := fn(id, vec); err != nil {
			return callbackError{err}
		}
		return nil
	})
}

// eachDataKey calls step with the id, key and item of every record's data
// key in id order (meta keys are skipped; the value is not read unless step
// reads it), checking ctx every 256 records. step wraps a caller's error in
// callbackError itself.
func eachDataKey(ctx context.Context, txn *badger.Txn, step func(id string, k []byte, item *badger.Item) error) error {
	return eachRecordKey(ctx, txn, suffixData, step)
}

// eachRecordKey is eachDataKey for the keys with the given suffix.
func eachRecordKey(ctx context.Context, txn *badger.Txn, want byte, step func(id string, k []byte, item *badger.Item) error) error {
	return eachRecordKeyIn(ctx, txn, want, prefixRecord, nil, step)
}

// eachRecordKeyIn is eachRecordKey over the record keys from from up to,
// not including, to (nil: to the end).
func eachRecordKeyIn(ctx context.Context, txn *badger.Txn, want byte, from, to []byte, step func(id string, k []byte, item *badger.Item) error) error {
	it := scanIterator(txn)
	defer it.Close()
	n := 0
	for it.Seek(from); it.ValidForPrefix(prefixRecord); it.Next() {
		item := it.Item()
		k := item.Key()
		if to != nil && bytes.Compare(k, to) >= 0 {
			break
		}
		id, suffix, ok := parseRecordKey(k)
		if !ok {
			return &CorruptError{Key: printableKey(k), Reason: "malformed record key"}
		}
		if suffix != want {
			continue
		}
		if n++; n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return callbackError{err}
			}
		}
		if err := step(string(id), k, item); err != nil {
			return err
		}
	}
	return callbackErr(ctx.Err())
}

func callbackErr(err error) error {
	if err == nil {
		return nil
	}
	return callbackError{err}
}
