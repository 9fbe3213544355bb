package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"

	badger "github.com/dgraph-io/badger/v4"
)

// Cluster labels live under the clustering run that wrote them:
//
//	l/<run: 8 bytes big-endian>\x00<id>   label int32 LE, distance float32 LE, CRC-32C LE of both
//	m/run                                 uint64 LE: the current run
//
// SetLabels writes under the next run (m/run + 1), which no reader looks at;
// PutClusterRun makes it the current run, and stores the run, in one
// transaction. A kill part-way through a clustering's write-back therefore
// leaves the previous clustering whole, and readers never see labels of two
// runs. Once the switch is committed, the labels of other runs are deleted.
// A store clustered before runs existed (m/run absent) keeps its labels in
// the records' metadata, which is read only while m/run is absent.

const labelLen = 12

func labelPrefix(run uint64) []byte {
	k := make([]byte, 0, len(prefixLabel)+9)
	k = append(k, prefixLabel...)
	k = binary.BigEndian.AppendUint64(k, run)
	return append(k, sep)
}

func labelKey(run uint64, id string) []byte { return append(labelPrefix(run), id...) }

// parseLabelKey splits l/<run>\x00<id>.
func parseLabelKey(k []byte) (run uint64, id []byte, ok bool) {
	rest, found := bytes.CutPrefix(k, prefixLabel)
	if !found || len(rest) < 10 || rest[8] != sep || bytes.IndexByte(rest[9:], sep) >= 0 {
		return 0, nil, false
	}
	return binary.BigEndian.Uint64(rest), rest[9:], true
}

func appendLabel(dst []byte, label int32, dist float32) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(label))
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(dist))
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoliTable))
}

var errLabel = errors.New("label value damaged")

func decodeLabel(v []byte) (label int32, dist float32, err error) {
	if len(v) != labelLen || binary.LittleEndian.Uint32(v[8:]) != crc32.Checksum(v[:8], castagnoliTable) {
		return 0, 0, errLabel
	}
	return int32(binary.LittleEndian.Uint32(v)), math.Float32frombits(binary.LittleEndian.Uint32(v[4:])), nil
}

// labelOf reads record id's label in run into m; a record without one is
// NoLabel. With run 0 (a store clustered before runs) m keeps the label of
// the metadata.
func labelOf(txn *badger.Txn, run uint64, id string, m *Meta) error {
	if run == 0 {
		return nil
	}
	m.Label, m.Distance = NoLabel, 0
	k := labelKey(run, id)
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return item.Value(func(v []byte) error {
		l, d, err := decodeLabel(v)
		if err != nil {
			return &CorruptError{Key: printableKey(k), ID: id, Reason: err.Error(), raw: bytes.Clone(k)}
		}
		m.Label, m.Distance = l, d
		return nil
	})
}

// labelCursor reads the labels of one run alongside a scan in id order.
type labelCursor struct {
	it     *badger.Iterator
	prefix []byte
	run    uint64
}

func newLabelCursor(txn *badger.Txn, run uint64) *labelCursor {
	if run == 0 {
		return &labelCursor{}
	}
	p := labelPrefix(run)
	it := keyIterator(txn, p)
	it.Seek(p)
	return &labelCursor{it: it, prefix: p, run: run}
}

func (c *labelCursor) close() {
	if c.it != nil {
		c.it.Close()
	}
}

// fill sets m's label for record id (ids come in increasing order).
func (c *labelCursor) fill(id string, m *Meta) error {
	if c.it == nil {
		return nil
	}
	m.Label, m.Distance = NoLabel, 0
	for ; c.it.ValidForPrefix(c.prefix); c.it.Next() {
		kid := c.it.Item().Key()[len(c.prefix):]
		switch cmp := bytes.Compare(kid, []byte(id)); {
		case cmp < 0:
			continue
		case cmp > 0:
			return nil
		}
		k := c.it.Item().Key()
		return c.it.Item().Value(func(v []byte) error {
			l, d, err := decodeLabel(v)
			if err != nil {
				return &CorruptError{Key: printableKey(k), ID: id, Reason: err.Error(), raw: bytes.Clone(k)}
			}
			m.Label, m.Distance = l, d
			return nil
		})
	}
	return nil
}

// dropLabels deletes record id's labels of the current and the next run
// (a new or replaced vector starts unlabelled; a deleted one has none).
func dropLabels(txn *badger.Txn, run uint64, id string) error {
	if err := txn.Delete(labelKey(run+1, id)); err != nil {
		return err
	}
	if run == 0 {
		return nil
	}
	return txn.Delete(labelKey(run, id))
}

// pruneLabels deletes the labels of every run but keep, in batches; a kill
// part-way leaves some, which Check reports and the next clustering or
// Repair removes.
func (s *Store) pruneLabels(keep uint64) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	err := s.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, prefixLabel)
		defer it.Close()
		for it.Seek(prefixLabel); it.ValidForPrefix(prefixLabel); it.Next() {
			if run, _, ok := parseLabelKey(it.Item().Key()); !ok || run != keep {
				if err := wb.Delete(it.Item().KeyCopy(nil)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	return err
}

// labels checks the labels of the current run: each names a stored record
// and holds a label below the run's k, and while the store has not changed
// since the clustering, each label is carried by as many records as the run
// counted. Labels of other runs are not read by anyone and not checked.
func (c *checker) labels() {
	var k int
	run, _, err := getUint(c.txn, keyRun)
	c.readErr(valueErr(err, keyRun, ""))
	var r ClusterRun
	var sizes []int // labels per cluster, for runs with run numbers
	if ok, err := getJSON(c.txn, keyCluster, &r); err == nil && ok {
		k = r.K
		if run != 0 && k > 0 {
			sizes = make([]int, k)
		}
		if run != 0 && r.Run != run {
			c.add(keyRun, "", "current run %d, the stored clustering is run %d", run, r.Run)
		}
	} else if run != 0 && err == nil {
		c.add(keyRun, "", "current run %d without a stored clustering", run)
	}
	it := keyIterator(c.txn, prefixLabel)
	defer it.Close()
	for it.Seek(prefixLabel); it.ValidForPrefix(prefixLabel) && c.stopErr == nil; it.Next() {
		key := it.Item().KeyCopy(nil)
		lrun, idb, ok := parseLabelKey(key)
		if !ok {
			c.add(key, "", "malformed label key")
			continue
		}
		id := string(idb)
		c.prog.at("label", key, id, "")
		if lrun != run {
			// Written by a cluster interrupted before its switch, or left by
			// one interrupted while deleting the previous run's labels: no
			// reader sees them, and the next cluster deletes them.
			continue
		}
		if _, err := c.txn.Get(recordKey(id, suffixData)); errors.Is(err, badger.ErrKeyNotFound) {
			c.add(key, id, "label of a missing record")
			continue
		}
		err := it.Item().Value(func(v []byte) error {
			l, _, err := decodeLabel(v)
			switch {
			case err != nil:
				c.add(key, id, "%v", err)
			case l < 0 || (k > 0 && int(l) >= k):
				c.add(key, id, "label %d outside the clustering's 0..%d", l, k-1)
			default:
				if sizes != nil {
					sizes[l]++
				}
			}
			return nil
		})
		c.readErr(valueErr(err, key, id))
	}
	// While no record was added, replaced or deleted since the clustering,
	// its labels are exactly the ones it wrote: as many per label as its sizes.
	gen, _, _ := getUint(c.txn, keyGen)
	if sizes != nil && c.stopErr == nil && gen == r.Generation && len(r.Sizes) == k {
		for l := range k {
			if sizes[l] != r.Sizes[l] {
				c.add(keyRun, "", "clustering run %d: %d records carry label %d, the run made %d (labels of two clusterings?)", run, sizes[l], l, r.Sizes[l])
			}
		}
	}
}
