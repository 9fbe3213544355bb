package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Every error the package returns for one of these
// conditions matches the sentinel with errors.Is; the typed errors below carry
// the details.
var (
	// ErrNotFound: no record with the given id.
	ErrNotFound = errors.New("not found")

	// ErrManifestMismatch: the store was built with another model, preset or
	// dimension than the caller wants. The error is a *MismatchError.
	ErrManifestMismatch = errors.New("store manifest mismatch")

	// ErrNoManifest: a write that needs the manifest (Put) on a store that has
	// none yet; call EnsureManifest first.
	ErrNoManifest = errors.New("store has no manifest")

	// ErrLocked: another process (or another Open in this process) holds the
	// store. The error is a *LockedError.
	ErrLocked = errors.New("store is in use")

	// ErrSchema: the store was written by a newer vecimg with a schema this
	// build does not know.
	ErrSchema = errors.New("unsupported store schema")

	// ErrCorrupt: a stored value does not decode or the store's keys disagree.
	// The error is a *CorruptError or, from Check, joins several of them.
	ErrCorrupt = errors.New("store is corrupt")

	// ErrChecksum: a record's data or metadata value does not match the
	// CRC-32C stored with it: its bytes changed on disk after they were
	// written. The error is a *CorruptError naming the record (it also
	// matches ErrCorrupt); the damaged value is never returned as good.
	ErrChecksum = errors.New("record checksum mismatch")

	// ErrNotStore: the path exists but is not a vecimg store (a regular file,
	// a directory holding unrelated files, or another application's badger
	// database). The error is a *NotStoreError.
	ErrNotStore = errors.New("not a vecimg store")

	// ErrInvalid: a record or argument the store refuses to write (empty id,
	// NUL byte, bad hash, vector of the wrong length, non-finite or all-zero
	// vector, ...). Nothing of the call is written.
	ErrInvalid = errors.New("invalid input")

	// ErrReadOnly: a write on a store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("store is open read-only")

	// ErrPositionsStale: UsePositions was given a positions file made for
	// another store, another state of this one, or damaged beyond use.
	ErrPositionsStale = errors.New("vector positions made for another state of the store")
)

// LockedError reports that the store directory is locked by another user.
// It matches ErrLocked.
type LockedError struct {
	Path string // the store path as given to Open
	PID  int    // the writer's process id from badger's LOCK file; 0 if unknown
}

func (e *LockedError) Error() string {
	who := "another vecimg process"
	if e.PID > 0 {
		who += " (pid " + strconv.Itoa(e.PID) + ")"
	}
	return fmt.Sprintf("store %q is in use by %s", e.Path, who)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// NotStoreProblem says why a path cannot be opened as a store.
type NotStoreProblem int

const (
	// NoStoreThere: nothing exists at the path (a read-only Open; a
	// read-write Open creates the store).
	NoStoreThere NotStoreProblem = iota
	// NotStoreFile: the path is a regular file.
	NotStoreFile
	// NotStoreEmptyDir: an empty directory (a read-only Open; a read-write
	// Open makes it a store).
	NotStoreEmptyDir
	// NotStoreOtherFiles: a directory holding files that are not a
	// store's (Entry names one).
	NotStoreOtherFiles
	// NotStoreOtherBadger: a badger database without vecimg's schema key.
	NotStoreOtherBadger
)

// NotStoreError says why the path given to Open is not a vecimg store. It
// matches ErrNotStore, except NoStoreThere, which matches fs.ErrNotExist.
type NotStoreError struct {
	Path    string // the store path as given to Open
	Problem NotStoreProblem
	Entry   string // NotStoreOtherFiles: one of the other files
}

func (e *NotStoreError) Error() string {
	switch e.Problem {
	case NoStoreThere:
		return fmt.Sprintf("no store at %q: %v", e.Path, fs.ErrNotExist)
	case NotStoreFile:
		return fmt.Sprintf("%v: %q is a file; a store is a directory", ErrNotStore, e.Path)
	case NotStoreEmptyDir:
		return fmt.Sprintf("%v: %q is an empty directory", ErrNotStore, e.Path)
	case NotStoreOtherFiles:
		return fmt.Sprintf("%v: directory %q holds other files (such as %q) and no store", ErrNotStore, e.Path, e.Entry)
	}
	return fmt.Sprintf("%v: %q is a badger database without vecimg's schema key", ErrNotStore, e.Path)
}

// Unwrap makes errors.Is(err, ErrNotStore) true, or errors.Is(err,
// fs.ErrNotExist) for NoStoreThere.
func (e *NotStoreError) Unwrap() error {
	if e.Problem == NoStoreThere {
		return fs.ErrNotExist
	}
	return ErrNotStore
}

// FieldMismatch is one manifest field whose stored value differs from the
// wanted one.
type FieldMismatch struct {
	Field  string // "model", "preset", "dim" or "input size"
	Stored string
	Wanted string
}

// MismatchError is returned by EnsureManifest when the store was built with a
// different model, preset, dimension or input size. It matches
// ErrManifestMismatch.
type MismatchError struct {
	Path   string
	Fields []FieldMismatch // at least one
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store %q was built with ", e.Path)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %q (wanted %q)", f.Field, f.Stored, f.Wanted)
	}
	b.WriteString("; vectors from different models or presets cannot be mixed")
	return b.String()
}

// Unwrap makes errors.Is(err, ErrManifestMismatch) true.
func (e *MismatchError) Unwrap() error { return ErrManifestMismatch }

// CorruptError names a stored key whose value is unusable or inconsistent.
// It matches ErrCorrupt.
type CorruptError struct {
	Key    string // printable form of the badger key
	ID     string // the record id, when the key belongs to a record
	Reason string
	// Checksum is true when the value failed its CRC-32C (the error then
	// also matches ErrChecksum).
	Checksum bool

	raw []byte // the key itself, for Repair
}

func (e *CorruptError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("store is corrupt: record %q (key %s): %s", e.ID, e.Key, e.Reason)
	}
	return fmt.Sprintf("store is corrupt: key %s: %s", e.Key, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// Is makes errors.Is(err, ErrChecksum) true for a checksum failure.
func (e *CorruptError) Is(target error) bool { return target == ErrChecksum && e.Checksum }

// corruptValue reports a record value at key that did not decode.
func corruptValue(key []byte, id string, err error) *CorruptError {
	return &CorruptError{Key: printableKey(key), ID: id, Reason: err.Error(), Checksum: errors.Is(err, errChecksum)}
}

// listIDs formats at most max ids for an error message.
func listIDs(ids []string, max int) string {
	var b strings.Builder
	for i, id := range ids {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(ids)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(id))
	}
	return b.String()
}

// FileError names one of the store's files that is damaged or out of place.
// It matches ErrCorrupt.
type FileError struct {
	Path   string
	Reason string
}

func (e *FileError) Error() string { return fmt.Sprintf("store file %s: %s", e.Path, e.Reason) }

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *FileError) Unwrap() error { return ErrCorrupt }

// ErrRollback: the store holds less than it did when last written (its
// files went back in time). The error is a *RollbackError.
var ErrRollback = errors.New("store went back in time")

// StoreState is what the state file beside the data records after every
// commit, and what the store holds now.
type StoreState struct {
	Generation uint64 `json:"generation"`
	Count      uint64 `json:"count"`
	Run        uint64 `json:"run"` // the current clustering's run number; 0 when none
}

// RollbackError reports a store whose data is older than its state file:
// committed batches or a clustering were lost (a damaged or restored
// MANIFEST, memtable log or table). It matches ErrRollback.
type RollbackError struct {
	Path     string
	Recorded StoreState // as written after the last commit
	Found    StoreState // what the store holds now
	// Orphans are table files the MANIFEST does not list; the lost records
	// may be in them.
	Orphans []string
}

func (e *RollbackError) Error() string {
	var lost []string
	if e.Found.Generation < e.Recorded.Generation {
		lost = append(lost, fmt.Sprintf("%d committed batch(es)", e.Recorded.Generation-e.Found.Generation))
	}
	if e.Found.Count < e.Recorded.Count {
		lost = append(lost, fmt.Sprintf("%d records", e.Recorded.Count-e.Found.Count))
	}
	if e.Found.Run < e.Recorded.Run {
		lost = append(lost, fmt.Sprintf("clustering run %d (now run %d)", e.Recorded.Run, e.Found.Run))
	}
	if len(lost) == 0 {
		lost = append(lost, fmt.Sprintf("its record count changed from %d to %d without a commit", e.Recorded.Count, e.Found.Count))
	}
	msg := fmt.Sprintf("store %q went back in time: it was at generation %d with %d records after its last commit, "+
		"and now holds generation %d with %d records; lost: %s", e.Path, e.Recorded.Generation, e.Recorded.Count,
		e.Found.Generation, e.Found.Count, strings.Join(lost, ", "))
	if len(e.Orphans) > 0 {
		msg += fmt.Sprintf("; table file(s) %s are not listed in its MANIFEST", strings.Join(e.Orphans, ", "))
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrRollback) true.
func (e *RollbackError) Unwrap() error { return ErrRollback }

// ErrIncomplete: a store directory whose creation was cut short (no MANIFEST
// or no schema key yet, written by a vecimg that did not create stores
// atomically). A read-only Open fails with it; a read-write Open finishes
// the creation. The error is an *IncompleteError.
var ErrIncomplete = errors.New("store creation was cut short")

// IncompleteError names a half-created store. It matches ErrIncomplete.
type IncompleteError struct{ Path string }

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("store %q was never finished (its creation was cut short): it holds no records", e.Path)
}

// Unwrap makes errors.Is(err, ErrIncomplete) true.
func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// ErrStalled: Check made no progress for CheckStallTimeout (a read that did
// not return) and gave up waiting. The error is a *StallError; it also
// matches ErrCorrupt, as the stall is one of the problems Check lists.
var ErrStalled = errors.New("check stalled")

// StallError says where Check stopped making progress: what it was reading
// (Stage: "record", "hash index entry", "path index entry", "label",
// "key", "table file", "store metadata"), the key and record id or the
// file, and how much it had read before.
type StallError struct {
	Idle    time.Duration // how long it waited without progress (at least; CheckStallTimeout)
	Stage   string
	Key     string // printable, as in CorruptError; "" when reading a file
	ID      string // the record, when known
	File    string // the file, when known
	Records uint64 // records read before the stall
	Bytes   uint64 // value bytes read before the stall
}

func (e *StallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "check stalled: no progress for %v while reading %s", e.Idle, e.Stage)
	switch {
	case e.ID != "" && e.Stage == "record":
		fmt.Fprintf(&b, " %q", e.ID)
	case e.ID != "":
		fmt.Fprintf(&b, " of record %q", e.ID)
	case e.File != "":
		fmt.Fprintf(&b, " %s", e.File)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, " (key %s)", e.Key)
	}
	fmt.Fprintf(&b, ", after %d records (%d value bytes); the read did not return and what follows it was not checked", e.Records, e.Bytes)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *StallError) Unwrap() error { return ErrCorrupt }

// Is makes errors.Is(err, ErrStalled) true.
func (e *StallError) Is(target error) bool { return target == ErrStalled }
