package store

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Put stores recs as one atomic batch: after a crash, either all of them are
// in the store or none (see the note on size below). A record whose ID is
// already stored is replaced, and its old hash and path index entries are
// removed. Put bumps the generation once per batch.
//
// Every record is validated first (see Record); one invalid record fails the
// whole call with ErrInvalid and nothing is written. The store must have a
// manifest (EnsureManifest) and every vector its dimension. Two records with
// the same ID in one call are refused.
//
// Put ignores recs[i].Meta.Label and Distance: a new or replaced vector
// starts unlabelled (NoLabel) until the next clustering (SetLabels and
// PutClusterRun). Meta.Extra and Meta.Hashes are kept.
//
// Size: a batch is one badger transaction, and badger caps a transaction's
// entries (see Options.MemTableSize): about 6,500 records with the defaults,
// whatever the dimension, since vectors are stored out of line. Only when
// badger reports a batch too big (ErrTxnTooBig) does Put split it in halves,
// each committed atomically on its own; the batch as a whole is then not
// atomic. Ingest-sized batches (tens to hundreds) never split.
//
// When Put returns nil, the batch survives the process being killed, and
// with the default Options (not NoSync) also a machine crash.
func (s *Store) Put(recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	if s.readOnly {
		return s.wrapf(ErrReadOnly, "put")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasManifest {
		return s.wrapf(fmt.Errorf("%w: call EnsureManifest before Put", ErrNoManifest), "put")
	}
	shas := make([][32]byte, len(recs))
	seen := make(map[string]struct{}, len(recs))
	for i := range recs {
		sha, err := checkRecord(&recs[i], s.manifest.Dim)
		if err != nil {
			return s.wrapf(err, "put")
		}
		if _, dup := seen[recs[i].ID]; dup {
			return s.wrapf(fmt.Errorf("%w: record id %q twice in one batch", ErrInvalid, recs[i].ID), "put")
		}
		seen[recs[i].ID] = struct{}{}
		shas[i] = sha
	}
	var bytes int64
	for i := range recs {
		bytes += int64(128 + len(recs[i].ID)*4 + len(recs[i].Path)*2 + 4*len(recs[i].Vector))
	}
	if err := s.ensureSpace(bytes); err != nil {
		return s.wrapf(err, "put")
	}
	if err := s.putSplit(recs, shas, time.Now()); err != nil {
		return s.wrapf(err, "put")
	}
	if err := s.saveState(); err != nil {
		return s.wrapf(err, "put (the batch is committed; recording it failed)")
	}
	return nil
}

// putSplit commits recs in one transaction, halving only on ErrTxnTooBig.
func (s *Store) putSplit(recs []Record, shas [][32]byte, now time.Time) error {
	err := s.putTxn(recs, shas, now)
	if errors.Is(err, badger.ErrTxnTooBig) && len(recs) > 1 {
		h := len(recs) / 2
		if err := s.putSplit(recs[:h], shas[:h], now); err != nil {
			return err
		}
		return s.putSplit(recs[h:], shas[h:], now)
	}
	return err
}

func (s *Store) putTxn(recs []Record, shas [][32]byte, now time.Time) error {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	gen, count, err := counters(txn)
	if err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		dk := recordKey(r.ID, suffixData)
		old, existed, err := oldHeader(txn, dk)
		if err != nil {
			return err
		}
		if existed {
			if err := dropIndex(txn, r.ID, old); err != nil {
				return err
			}
			if err := dropLabels(txn, s.run.Load(), r.ID); err != nil {
				return err
			}
		} else {
			count++
		}
		// Badger keeps references to the key and value slices until the
		// commit, so every entry gets its own buffers.
		rec := *r
		if rec.Added.IsZero() {
			rec.Added = now
		}
		meta := Meta{Label: NoLabel, Extra: r.Meta.Extra, Hashes: r.Meta.Hashes}
		for _, e := range [...]struct{ k, v []byte }{
			{dk, appendData(make([]byte, 0, 64+len(rec.Path)+4*len(rec.Vector)), &rec, shas[i])},
			{recordKey(r.ID, suffixMeta), appendMeta(nil, &meta)},
			{hashKey(shas[i], r.ID), nil},
			{pathKey(r.Path, r.ID), nil},
		} {
			if err := txn.Set(e.k, e.v); err != nil {
				return err
			}
		}
	}
	if err := setCounters(txn, gen+1, count); err != nil {
		return err
	}
	return txn.Commit()
}

// oldHeader reads and decodes the data value at dk; existed is false when
// there is none. A value that does not decode yields existed with a nil
// header, so that the caller falls back to scanning the indexes.
func oldHeader(txn *badger.Txn, dk []byte) (h *dataHeader, existed bool, err error) {
	item, err := txn.Get(dk)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	err = item.Value(func(v []byte) error {
		d, derr := decodeData(v)
		if derr == nil {
			d.path = bytes.Clone(d.path)
			d.vec = nil
			h = &d
		}
		return nil
	})
	return h, true, err
}

// dropIndex deletes the hash and path index entries of record id, whose
// previous data value decoded to old. When old is nil (that value does not
// decode) it scans both indexes for entries naming id. Put calls it before
// setting the new entries; a Set after a Delete of the same key in one
// transaction wins, so unchanged entries survive.
func dropIndex(txn *badger.Txn, id string, old *dataHeader) error {
	if old != nil {
		if err := txn.Delete(hashKey(old.sha, id)); err != nil {
			return err
		}
		return txn.Delete(pathKey(string(old.path), id))
	}
	var doomed [][]byte
	it := keyIterator(txn, nil)
	suffix := append([]byte{sep}, id...)
	for _, p := range [][]byte{prefixHash, prefixPath} {
		for it.Seek(p); it.ValidForPrefix(p); it.Next() {
			if k := it.Item().Key(); bytes.HasSuffix(k, suffix) {
				doomed = append(doomed, it.Item().KeyCopy(nil))
			}
		}
	}
	it.Close()
	for _, k := range doomed {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the records with the given ids, with their metadata and
// index entries, in one atomic batch, and bumps the generation. If any id is
// not stored, nothing is deleted and the error (matching ErrNotFound) lists
// the missing ids.
func (s *Store) Delete(ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	if s.readOnly {
		return s.wrapf(ErrReadOnly, "delete")
	}
	for _, id := range ids {
		if err := checkID(id); err != nil {
			return s.wrapf(err, "delete")
		}
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureSpace(int64(len(ids)) * (4*MaxIDLen/8 + 256)); err != nil {
		return s.wrapf(err, "delete")
	}
	if err := s.deleteSplit(ids); err != nil {
		return s.wrapf(err, "delete")
	}
	if err := s.saveState(); err != nil {
		return s.wrapf(err, "delete (the records are deleted; recording it failed)")
	}
	return nil
}

func (s *Store) deleteSplit(ids []string) error {
	err := s.deleteTxn(ids)
	if errors.Is(err, badger.ErrTxnTooBig) && len(ids) > 1 {
		h := len(ids) / 2
		if err := s.deleteSplit(ids[:h]); err != nil {
			return err
		}
		return s.deleteSplit(ids[h:])
	}
	return err
}

func (s *Store) deleteTxn(ids []string) error {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	gen, count, err := counters(txn)
	if err != nil {
		return err
	}
	var missing []string
	for _, id := range ids {
		dk := recordKey(id, suffixData)
		old, existed, err := oldHeader(txn, dk)
		if err != nil {
			return err
		}
		if !existed {
			missing = append(missing, id)
			continue
		}
		if len(missing) > 0 {
			continue // only collecting the missing ones now
		}
		if err := dropIndex(txn, id, old); err != nil {
			return err
		}
		if err := txn.Delete(dk); err != nil {
			return err
		}
		if err := txn.Delete(recordKey(id, suffixMeta)); err != nil {
			return err
		}
		if err := dropLabels(txn, s.run.Load(), id); err != nil {
			return err
		}
		count--
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no record with id %s", ErrNotFound, listIDs(missing, 10))
	}
	if err := setCounters(txn, gen+1, count); err != nil {
		return err
	}
	return txn.Commit()
}

// LabelUpdate sets the cluster label of one record.
type LabelUpdate struct {
	ID       string
	Label    int32   // 0..k-1, or NoLabel
	Distance float32 // distance to the cluster centre; finite
}

// SetLabels writes cluster labels and distances for the next clustering
// run, without touching vectors, metadata or the generation. They become
// the store's labels, all at once, when PutClusterRun commits that run;
// until then readers see the previous clustering (see labels.go), and a
// kill before it leaves that clustering whole. Call SetLabels as often as
// needed (in batches), then PutClusterRun. If any id is not stored, nothing
// is written and the error (matching ErrNotFound) lists the missing ids. If
// an id appears twice, the last update wins.
func (s *Store) SetLabels(updates []LabelUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	if s.readOnly {
		return s.wrapf(ErrReadOnly, "set labels")
	}
	ids := make([]string, len(updates))
	for i, u := range updates {
		if err := checkID(u.ID); err != nil {
			return s.wrapf(err, "set labels")
		}
		if u.Label < NoLabel {
			return s.wrapf(fmt.Errorf("%w: record %q: label %d", ErrInvalid, u.ID, u.Label), "set labels")
		}
		if d := float64(u.Distance); math.IsNaN(d) || math.IsInf(d, 0) {
			return s.wrapf(fmt.Errorf("%w: record %q: distance %v", ErrInvalid, u.ID, u.Distance), "set labels")
		}
		ids[i] = u.ID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mustHave(ids); err != nil {
		return s.wrapf(err, "set labels")
	}
	if err := s.ensureSpace(int64(len(updates)) * 96); err != nil {
		return s.wrapf(err, "set labels")
	}
	next := s.run.Load() + 1
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, u := range updates {
		k := labelKey(next, u.ID)
		var err error
		if u.Label == NoLabel {
			err = wb.Delete(k)
		} else {
			err = wb.Set(k, appendLabel(nil, u.Label, u.Distance))
		}
		if err != nil {
			return s.wrapf(err, "set labels")
		}
	}
	if err := wb.Flush(); err != nil {
		return s.wrapf(err, "set labels")
	}
	return nil
}

// counters reads the generation and record count inside txn.
func counters(txn *badger.Txn) (gen, count uint64, err error) {
	gen, _, err = getUint(txn, keyGen)
	if err != nil {
		return 0, 0, err
	}
	count, _, err = getUint(txn, keyCount)
	return gen, count, err
}

func setCounters(txn *badger.Txn, gen, count uint64) error {
	if err := txn.Set(keyGen, putUint(gen)); err != nil {
		return err
	}
	return txn.Set(keyCount, putUint(count))
}
