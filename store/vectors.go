package store

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Vectors reads the vectors of ids in one read transaction: dst[i] becomes
// the vector of ids[i] (reusing dst[i]'s capacity), or an empty slice when
// the store has no such record. len(dst) must be at least len(ids). It is
// the index's seam for re-ranking with exact vectors, so it decodes nothing
// but the vector. With positions loaded (UsePositions) each value is read
// with one pread where its position checks out, through badger otherwise.
func (s *Store) Vectors(ids []string, dst [][]float32) error {
	_, err := s.VectorsMapped(ids, dst)
	return err
}

// VectorsMapped is Vectors, also returning how many of ids it looked up
// through badger, whose values are read from the memory-mapped value log
// (the others were read by position): what a caller that releases the
// mapped pages counts.
func (s *Store) VectorsMapped(ids []string, dst [][]float32) (int, error) {
	if len(dst) < len(ids) {
		return 0, s.wrapf(errors.New("vectors: dst shorter than ids"), "vectors")
	}
	return s.eachHead("vectors", ids, func(i int, h dataHeader) { dst[i] = decodeVector(dst[i][:0], h.vec) }, func(i int) { dst[i] = dst[i][:0] })
}

// eachHead reads the data value of each of ids in one read transaction and
// calls fn(i, head) for those stored; for the others (and malformed ids)
// it calls missing(i). The head aliases the value: fn must copy what it
// keeps. It returns how many of ids it looked up through badger (all of
// them without positions).
func (s *Store) eachHead(op string, ids []string, fn func(i int, h dataHeader), missing func(i int)) (int, error) {
	p := s.pos.Load()
	if p == nil {
		return len(ids), s.eachHeadLSM(op, ids, fn, missing)
	}
	var rest []int
	if len(ids) > 1 {
		p.touch(ids)
	}
	for i, id := range ids {
		if !p.head(id, i, fn) {
			rest = append(rest, i)
		}
	}
	if len(rest) == 0 {
		return 0, nil
	}
	left := make([]string, len(rest))
	for j, i := range rest {
		left[j] = ids[i]
	}
	return len(rest), s.eachHeadLSM(op, left, func(j int, h dataHeader) { fn(rest[j], h) }, func(j int) { missing(rest[j]) })
}

// eachHeadLSM is eachHead through badger: a lookup of each key in the LSM
// tree, then its value.
func (s *Store) eachHeadLSM(op string, ids []string, fn func(i int, h dataHeader), missing func(i int)) error {
	return s.view(op, func(txn *badger.Txn) error {
		for i, id := range ids {
			if checkID(id) != nil {
				missing(i)
				continue
			}
			k := recordKey(id, suffixData)
			item, err := txn.Get(k)
			if errors.Is(err, badger.ErrKeyNotFound) {
				missing(i)
				continue
			}
			if err != nil {
				return err
			}
			err = item.Value(func(v []byte) error {
				h, err := decodeData(v)
				if err != nil {
					return corruptValue(k, id, err)
				}
				fn(i, h)
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

// Paths returns the stored source path of each of ids in one read
// transaction ("" for an id the store does not hold), decoding only the
// head of each record, not its vector: what a query's results need.
func (s *Store) Paths(ids []string) ([]string, error) {
	out := make([]string, len(ids))
	_, err := s.eachHead("paths", ids, func(i int, h dataHeader) { out[i] = string(h.path) }, func(int) {})
	return out, err
}

// Heads returns the head of each of ids in one read transaction (the zero
// Head, with an empty ID, for an id the store does not hold), decoding no
// vectors.
func (s *Store) Heads(ids []string) ([]Head, error) {
	out := make([]Head, len(ids))
	_, err := s.eachHead("heads", ids, func(i int, h dataHeader) { out[i] = headOf(ids[i], h) }, func(int) {})
	return out, err
}

// Has reports whether the store holds a record with id, reading its key
// only.
func (s *Store) Has(id string) (bool, error) {
	if err := checkID(id); err != nil {
		return false, s.wrapf(err, "has")
	}
	var ok bool
	err := s.view("has", func(txn *badger.Txn) error {
		_, err := txn.Get(recordKey(id, suffixData))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		ok = err == nil
		return err
	})
	return ok, err
}

// Head is what a record says about its image, without the vector and the
// metadata: what listing jobs (duplicate finding) need.
type Head struct {
	ID, Path, SHA256 string
	Width, Height    int
	Added            time.Time
}

// ScanHeads calls fn with the head of every record, in id order, from one
// consistent snapshot, decoding neither vectors nor metadata. It stops at
// the first error fn returns and returns it, or when ctx is done.
func (s *Store) ScanHeads(ctx context.Context, fn func(h Head) error) error {
	return s.view("scan heads", func(txn *badger.Txn) error {
		return eachDataKey(ctx, txn, func(id string, k []byte, item *badger.Item) error {
			var h Head
			err := item.Value(func(v []byte) error {
				d, err := decodeData(v)
				if err != nil {
					return corruptValue(k, id, err)
				}
				h = headOf(id, d)
				return nil
			})
			if err != nil {
				return err
			}
			return callbackErr(fn(h))
		})
	})
}

func headOf(id string, d dataHeader) Head {
	h := Head{ID: id, Path: string(d.path), SHA256: hex.EncodeToString(d.sha[:]), Width: int(d.width), Height: int(d.height)}
	if d.added != 0 {
		h.Added = time.Unix(0, d.added)
	}
	return h
}
