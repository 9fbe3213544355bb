package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/vecimg/vecimg/internal/testhook"
)

// maxProblems is how many problems Check reports before it stops looking.
const maxProblems = 10000

// CheckStallTimeout is how long Check waits for its scan to make progress
// (reach the next record, index entry, key or file) before it gives up with
// a *StallError. A healthy store that is slow to read (a big one, a busy
// disk) keeps making progress and is never cut off; a read that never
// returns (a damaged file badger loops on, an unreachable disk) is. Tests
// shorten it.
var CheckStallTimeout = 2 * time.Minute

// Check is CheckContext with a context that is never cancelled.
func (s *Store) Check() error { return s.CheckContext(context.Background()) }

// CheckContext verifies the whole store from one snapshot: every checksum badger
// keeps (each table block, and each value-log entry as it is read); the
// schema, manifest and counters decode; every record's data and metadata
// decode; every vector has the manifest's dimension, is finite and not all
// zero; every record has its hash and path index entries; every index entry
// names an existing record whose hash or path agrees; the stored count
// equals the number of records; every label belongs to the current
// clustering; no key lies outside the layout. It also reports what Open
// found: a rollback accepted with Options.AcceptRollback (with the tables
// the MANIFEST does not list), a damaged state file. It returns nil, or an error
// matching ErrCorrupt that joins up to maxProblems *CorruptError and
// *FileError problems.
//
// Check changes nothing. A panic inside badger on a damaged file is turned
// into a problem. It reads every value once and looks up index entries by
// key; its memory does not grow with the store.
//
// Check is bounded in time: the scan runs in a goroutine of its own and
// reports each item it reaches; when it reaches none for
// CheckStallTimeout, Check returns the problems found so far joined with a
// *StallError naming where the scan stopped. When ctx is cancelled it
// returns ctx.Err() at once. In both cases the scan's goroutine is left
// behind, blocked in badger: Close then leaves the database open (closing
// it under a read in progress could crash or hang) and the process exit
// releases it.
func (s *Store) CheckContext(ctx context.Context) error {
	c := &checker{prog: &checkProgress{}}
	done := make(chan error, 1)
	go func() { done <- s.check(c) }()
	tick, stop := stallTicker(tickEvery(CheckStallTimeout))
	defer stop()
	seen, since := c.prog.count(), stallNow()
	for {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			s.abandon(done)
			return ctx.Err()
		case <-tick:
			var err error
			if n := c.prog.count(); n != seen {
				seen, since = n, stallNow()
			} else if stallNow().Sub(since) >= CheckStallTimeout {
				s.abandon(done)
				problems := c.prog.problems() // what the scan found before it stalled
				err = s.checkResult(append(problems, c.prog.stall(CheckStallTimeout)))
			}
			if stallTicked != nil {
				stallTicked()
			}
			if err != nil {
				return err
			}
		}
	}
}

// Test seams of the stall watchdog: the clock and the ticker.
var (
	stallNow    = time.Now
	stallTicker = func(d time.Duration) (<-chan time.Time, func()) {
		t := time.NewTicker(d)
		return t.C, t.Stop
	}
	stallTicked func() // called when the watchdog has looked at a tick
)

// tickEvery is how often the watchdog looks at the scan's progress.
func tickEvery(timeout time.Duration) time.Duration {
	return max(timeout/8, time.Millisecond)
}

// abandon records that a Check's scan goroutine was left running; Close
// does not close badger under it unless it has ended since.
func (s *Store) abandon(done <-chan error) {
	ended := make(chan struct{})
	go func() {
		<-done // the caller has already been answered
		close(ended)
	}()
	s.stuck.Store(&ended)
}

// check is the scan of CheckContext, run in its own goroutine.
func (s *Store) check(c *checker) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.prog.found1(&FileError{Path: s.path, Reason: fmt.Sprintf("reading the store failed on damaged data: %v", r)})
			err = s.checkResult(c.prog.problems())
		}
	}()
	// Tables the MANIFEST does not list are what a kill during a flush or
	// compaction leaves (the next writer removes them); only with a rollback
	// do they hold lost records, and the rollback's problem names them.
	if s.rollback != nil {
		c.addProblem(&FileError{Path: filepath.Join(s.path, stateFile), Reason: s.rollback.Error()})
	}
	c.prog.at("store metadata", nil, "", filepath.Join(s.path, stateFile))
	if _, _, err := readState(s.path); err != nil {
		c.addProblem(err)
	}
	for _, t := range s.tableFiles() {
		c.prog.at("table file", nil, "", t)
		if err := probeTable(t, true); err != nil && !s.tableGone(t, err) {
			c.addProblem(&FileError{Path: t, Reason: "damaged table: " + err.Error()})
		}
	}
	err = s.db.View(func(txn *badger.Txn) error {
		c.txn = txn
		c.prog.at("store metadata", nil, "", "")
		c.meta()
		c.records()
		c.index(prefixHash)
		c.index(prefixPath)
		c.labels()
		c.strays()
		return c.stopErr
	})
	if err != nil && !errors.Is(err, errStop) {
		return s.wrapf(err, "check")
	}
	return s.checkResult(c.prog.problems())
}

// checkProgress is what the scan has reached, shared with the watchdog:
// a count that grows with every item, where the scan is, and the problems
// found.
type checkProgress struct {
	mu      sync.Mutex
	steps   uint64
	records uint64
	bytes   uint64
	stage   string
	key     []byte // a buffer reused for every key
	id      string
	file    string
	found   []error
}

// at records that the scan reached an item (key, id and file as far as
// known) and calls the test hook.
func (p *checkProgress) at(stage string, key []byte, id, file string) {
	p.mu.Lock()
	p.steps++
	p.stage, p.key, p.id, p.file = stage, append(p.key[:0], key...), id, file
	p.mu.Unlock()
	name := id
	if name == "" {
		name = file
	}
	testhook.CheckStep(stage, name)
}

// read counts a record and its value bytes read.
func (p *checkProgress) read(records int, bytes int64) {
	p.mu.Lock()
	p.steps++
	p.records += uint64(records)
	p.bytes += uint64(bytes)
	p.mu.Unlock()
}

func (p *checkProgress) count() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.steps
}

// found1 adds a problem and returns how many have been found.
func (p *checkProgress) found1(e error) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.found = append(p.found, e)
	return len(p.found)
}

func (p *checkProgress) problems() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.found)
}

func (p *checkProgress) stall(idle time.Duration) *StallError {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := &StallError{Idle: idle, Stage: p.stage, ID: p.id, File: p.file, Records: p.records, Bytes: p.bytes}
	if len(p.key) > 0 {
		e.Key = printableKey(p.key)
	}
	return e
}

func (s *Store) checkResult(problems []error) error {
	if len(problems) == 0 {
		return nil
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	return fmt.Errorf("store %q: check found %d %s: %w", s.path, len(problems), noun, errors.Join(problems...))
}

var errStop = errors.New("too many problems")

type checker struct {
	prog    *checkProgress // holds the problems found
	txn     *badger.Txn
	dim     int
	stopErr error // errStop after maxProblems, or a read error
}

func (c *checker) add(key []byte, id, format string, args ...any) {
	if c.stopErr != nil {
		return
	}
	c.addProblem(&CorruptError{Key: printableKey(key), ID: id, Reason: fmt.Sprintf(format, args...), raw: bytes.Clone(key)})
}

// addProblem records a problem (in prog, where the watchdog lists it if
// the scan stalls later).
func (c *checker) addProblem(e error) {
	if c.prog.found1(e) >= maxProblems {
		c.stopErr = errStop
	}
}

func (c *checker) readErr(err error) {
	var ce *CorruptError
	switch {
	case errors.As(err, &ce):
		if c.stopErr == nil {
			c.addProblem(ce)
		}
	case err != nil && c.stopErr == nil:
		c.stopErr = err
	}
}

func (c *checker) meta() {
	schema, ok, err := getUint(c.txn, keySchema)
	c.readErr(valueErr(err, keySchema, ""))
	if err == nil && (!ok || schema < 1 || schema > SchemaVersion) {
		c.add(keySchema, "", "schema %d (found %v)", schema, ok)
	}
	_, ok, err = getUint(c.txn, keyGen)
	c.readErr(valueErr(err, keyGen, ""))
	if err == nil && !ok {
		c.add(keyGen, "", "generation missing")
	}
	var m Manifest
	ok, err = getJSON(c.txn, keyManifest, &m)
	c.readErr(valueErr(err, keyManifest, ""))
	if ok {
		if m.Dim < 1 || m.Dim > MaxDim {
			c.add(keyManifest, "", "dimension %d", m.Dim)
		} else {
			c.dim = m.Dim
		}
	}
	var r ClusterRun
	ok, err = getJSON(c.txn, keyCluster, &r)
	c.readErr(valueErr(err, keyCluster, ""))
	if ok {
		if err := checkClusterRun(&r, c.dim); err != nil {
			c.add(keyCluster, "", "%v", err)
		}
	}
}

// records checks every r/ key pair and the index entries each record needs.
func (c *checker) records() {
	it := scanIterator(c.txn)
	defer it.Close()
	var (
		n        uint64
		lastData string // id of the last data key without its meta yet
		pending  bool
		vec      []float32
	)
	missingMeta := func(id string) { c.add(recordKey(id, suffixMeta), id, "metadata missing") }
	for it.Seek(prefixRecord); it.ValidForPrefix(prefixRecord) && c.stopErr == nil; it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)
		idb, suffix, ok := parseRecordKey(k)
		if !ok {
			c.add(k, "", "malformed record key")
			continue
		}
		id := string(idb)
		c.prog.at("record", k, id, "")
		if suffix == suffixMeta {
			if !pending || id != lastData {
				c.add(k, id, "metadata without record data")
			}
			pending = false
			var m Meta
			c.readErr(valueErr(item.Value(func(v []byte) error {
				if err := lostValue(item, v, k, id); err != nil {
					return err
				}
				return decodeMetaAt(v, k, id, &m)
			}), k, id))
			c.prog.read(0, item.ValueSize())
			continue
		}
		if pending {
			missingMeta(lastData)
		}
		lastData, pending = id, true
		n++
		var h dataHeader
		err := item.Value(func(v []byte) error {
			var err error
			if err := lostValue(item, v, k, id); err != nil {
				return err
			}
			if h, err = decodeData(v); err != nil {
				return corruptValue(k, id, err)
			}
			h.path = bytes.Clone(h.path)
			vec = decodeVector(vec, h.vec)
			h.vec = nil
			return nil
		})
		c.prog.read(1, item.ValueSize())
		if err != nil {
			c.readErr(valueErr(err, k, id))
			continue
		}
		if c.dim == 0 {
			c.add(k, id, "record stored but the store has no manifest")
		} else if err := checkVector(vec, c.dim); err != nil {
			c.add(k, id, "%v", err)
		}
		if len(h.path) == 0 {
			c.add(k, id, "empty path")
		}
		c.mustExist(hashKey(h.sha, id), id, "hash index entry missing")
		c.mustExist(pathKey(string(h.path), id), id, "path index entry missing")
	}
	if pending && c.stopErr == nil {
		missingMeta(lastData)
	}
	if c.stopErr != nil {
		return
	}
	count, _, err := getUint(c.txn, keyCount)
	c.readErr(valueErr(err, keyCount, ""))
	if err == nil && count != n {
		c.add(keyCount, "", "count is %d, the store holds %d records", count, n)
	}
}

func (c *checker) mustExist(key []byte, id, reason string) {
	_, err := c.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		c.add(key, id, "%s", reason)
		return
	}
	c.readErr(err)
}

// index checks that every entry of the hash or path index names a record
// whose hash or path is the entry's.
func (c *checker) index(prefix []byte) {
	it := keyIterator(c.txn, prefix)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix) && c.stopErr == nil; it.Next() {
		k := it.Item().KeyCopy(nil)
		var (
			id      []byte
			ok      bool
			agrees  func(h *dataHeader) bool
			sha     [32]byte
			path    []byte
			kindStr string
		)
		if prefix[0] == prefixHash[0] {
			sha, id, ok = parseHashKey(k)
			agrees = func(h *dataHeader) bool { return h.sha == sha }
			kindStr = "hash"
		} else {
			path, id, ok = parsePathKey(k)
			agrees = func(h *dataHeader) bool { return bytes.Equal(h.path, path) }
			kindStr = "path"
		}
		if !ok {
			c.add(k, "", "malformed %s index key", kindStr)
			continue
		}
		c.prog.at(kindStr+" index entry", k, string(id), "")
		if it.Item().ValueSize() != 0 {
			c.add(k, string(id), "%s index entry has a value", kindStr)
		}
		item, err := c.txn.Get(recordKey(string(id), suffixData))
		if errors.Is(err, badger.ErrKeyNotFound) {
			c.add(k, string(id), "%s index entry names a missing record", kindStr)
			continue
		}
		if err != nil {
			c.readErr(err)
			continue
		}
		item.Value(func(v []byte) error { // a read error is reported by records
			h, err := decodeData(v)
			if err != nil {
				return nil // reported by records
			}
			if !agrees(&h) {
				c.add(k, string(id), "%s index entry disagrees with the record", kindStr)
			}
			return nil
		})
	}
}

// strays reports keys outside the layout.
func (c *checker) strays() {
	it := keyIterator(c.txn, nil)
	defer it.Close()
	known := [][]byte{keySchema, keyManifest, keyGen, keyCount, keyCluster, keyRun}
	for it.Rewind(); it.Valid() && c.stopErr == nil; it.Next() {
		k := it.Item().Key()
		c.prog.at("key", k, "", "")
		if bytes.HasPrefix(k, prefixRecord) || bytes.HasPrefix(k, prefixHash) || bytes.HasPrefix(k, prefixPath) || bytes.HasPrefix(k, prefixLabel) {
			continue
		}
		stray := true
		for _, kk := range known {
			if bytes.Equal(k, kk) {
				stray = false
				break
			}
		}
		if stray {
			c.add(bytes.Clone(k), "", "key outside the store layout")
		}
	}
}

// valueErr turns an error reading a value (a value-log entry whose checksum
// fails, a pointer past the end of its file) into a *CorruptError naming
// the key and record.
func valueErr(err error, key []byte, id string) error {
	var ce *CorruptError
	if err == nil || errors.As(err, &ce) {
		return err
	}
	return &CorruptError{Key: printableKey(key), ID: id, Reason: "value unreadable: " + err.Error()}
}

// lostValue reports a value badger could not read: when a value-log entry
// fails its checksum (or its pointer is bad), badger logs the error and
// hands out an empty value, which the record decoder would only call short.
func lostValue(item *badger.Item, v, key []byte, id string) error {
	if len(v) == 0 && item.ValueSize() > 0 {
		return &CorruptError{Key: printableKey(key), ID: id, Reason: "value-log entry damaged: its checksum does not match (or its pointer is bad)", raw: bytes.Clone(key)}
	}
	return nil
}
