package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// SchemaVersion is the layout version this package writes. A store created
// by a newer version is refused with ErrSchema. Schema 2 added the structured
// ModelSpec to the manifest. Schema 3 adds a CRC-32C trailer to every record
// value, verified on every read (ErrChecksum), and the image hashes to the
// metadata value (Meta.Hashes). An older store is upgraded in place when it
// is opened for writing: the manifest and schema key in one transaction;
// its records keep their old encoding, which still reads (without a checksum
// to verify), until they are rewritten or resealed (Store.Reseal). Opened
// read-only, an older store is read as is.
const SchemaVersion = 3

// Options configures Open. The zero value is a durable read-write store with
// a small memory and disk footprint and badger's logging silenced.
type Options struct {
	// ReadOnly opens the store for queries. Writes return ErrReadOnly. Badger
	// takes a shared lock for a read-only open and an exclusive one for a
	// writer, so any number of read-only users may share a store, but not
	// while a writer has it open, and a writer cannot open it while a reader
	// does: either way the later Open fails with ErrLocked. A read-only Open
	// never writes to the store's files (see Open).
	ReadOnly bool

	// Log receives badger's informational, warning and error messages, each
	// line prefixed "badger: <level>: ". Nil discards them.
	Log io.Writer

	// NoSync turns off the fsync after every committed write. A process that
	// is killed still keeps every batch whose Put returned (badger writes
	// through the page cache), but a machine crash or power loss may lose the
	// last batches. Off by default: each Put is durable when it returns.
	NoSync bool

	// MemTableSize is badger's in-memory table size in bytes; its write-ahead
	// log file is twice that (sparse). Default 16 MiB. It bounds one atomic
	// batch: badger takes at most 15% of it, and one entry per 96 bytes of
	// that, in a transaction. A record is 4 entries (vectors are stored out
	// of line and count as a pointer), so the default allows about 6,500
	// records per Put before Put has to split the batch (see Put).
	MemTableSize int64

	// ValueLogFileSize is the size in bytes at which badger starts a new value
	// log file (where vectors live); each file is created sparse at twice that.
	// Default 64 MiB (badger's own default is 1 GiB).
	ValueLogFileSize int64

	// AcceptRollback opens a store whose data is older than its state file
	// (see ErrRollback) instead of refusing it; a read-write open then
	// records the store as it is now. Rollback tells what was accepted.
	AcceptRollback bool

	// Repair lets a read-write open go on where the newest value-log file
	// has a damaged entry with intact ones after it (badger would cut them
	// all): the records are checked first, the entry's checksum is made to
	// match, and Repair drops the records found damaged. Without it such an
	// open fails with a *FileError. Only for Store.Repair.
	Repair bool
}

// Defaults for the zero Options.
const (
	DefaultMemTableSize     = 16 << 20
	DefaultValueLogFileSize = 64 << 20

	// valueThreshold: values longer than this go to the value log. Vectors
	// (4 bytes × dim) do, so the LSM tree holds only keys, metadata and small
	// pointers: compactions stay cheap and label write-back never rewrites a
	// vector.
	valueThreshold = 256
	// blockCacheSize 0: tables are not compressed or encrypted, so a block
	// is read straight from its mapped table file; a block cache would only
	// add its admission bookkeeping to every read (measured with
	// bench/serve.sh: 11% of the server's CPU went to the cache's policy).
	blockCacheSize = 0
)

// Store is an open vecimg store. Its methods are safe for concurrent use;
// writes are serialised.
type Store struct {
	db       *badger.DB
	path     string
	readOnly bool

	mu          sync.Mutex // serialises writes and guards the fields below
	manifest    Manifest
	hasManifest bool
	// manMu also guards manifest and hasManifest (taken inside mu when they
	// change), so that Manifest does not wait for a Put's commit and sync.
	manMu  sync.RWMutex
	schema int // on disk
	closed bool
	run    atomic.Uint64 // the current clustering run (m/run); 0 for none or a store clustered before runs

	files        storeFiles     // what Open found in the directory
	shadow       *shadow        // the read-only view's directory, when one was needed
	noSync       bool           // Options.NoSync
	rollback     *RollbackError // accepted at open (Options.AcceptRollback)
	memTableSize int64          // badger's, for the free-space check (space.go)
	// preProblems: what a read-only check found before a repairing open
	// made the value log readable for badger (see guardLastVlog).
	preProblems []error
	// stuck is set when a Check gave up on its scan (a stall, a
	// cancellation); the channel is closed when the scan has ended.
	stuck atomic.Pointer[chan struct{}]
	// pos, when set (UsePositions, read-only stores only), lets Vectors
	// read a vector with one pread (positions.go).
	pos atomic.Pointer[positions]
	// retired are positions replaced by a later UsePositions, closed with
	// the store (guarded by mu).
	retired []*positions
}

// Open opens the store at path, creating it (and its parent directories) when
// it does not exist and opts.ReadOnly is false.
//
// Open refuses, with ErrNotStore, a path that is a regular file, a directory
// holding files that are not a badger database, or a badger database that
// was not written by vecimg. A read-only Open of a missing path fails with an
// error matching fs.ErrNotExist.
//
// When another process has the store open (or this process has, through
// another Store), Open fails with a *LockedError matching ErrLocked. When the
// store's schema is newer than SchemaVersion it fails with ErrSchema.
//
// A read-only Open changes no byte of the store's files. Badger would: it
// deletes tables its MANIFEST does not list, and refuses a read-only open of
// a store whose writer was killed until the memtable log's unused tail is
// truncated. For such a store (and only then) a read-only Open goes through
// a private shadow directory of links (see openShadow).
//
// Every Open compares the store with its state file (written after each
// commit): a store whose generation or clustering went back is refused with
// a *RollbackError (ErrRollback) unless opts.AcceptRollback. A read-write
// Open of a store whose writer was killed makes that comparison before
// badger's recovery changes anything.
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	if err := checkStoreDir(path, opts.ReadOnly); err != nil {
		return nil, err
	}
	files := storeFiles{noManifest: true}
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !opts.ReadOnly:
		if err := create(path, opts); err != nil {
			return nil, err
		}
		fallthrough
	case err == nil:
		if files, err = inspectDir(path); err != nil {
			return nil, err
		}
	}
	if opts.ReadOnly && files.noManifest {
		return nil, &IncompleteError{Path: path}
	}
	var (
		db  *badger.DB
		sh  *shadow
		pre []error // Options.Repair: the problems a check found before the open
	)
	switch {
	case opts.ReadOnly && files.dirty():
		db, sh, err = openShadow(path, opts, files.orphans)
	case opts.ReadOnly:
		db, err = badgerOpen(badgerOptions(path, opts))
		if err != nil && strings.Contains(err.Error(), badger.ErrTruncateNeeded.Error()) {
			db, sh, err = openShadow(path, opts, files.orphans)
		}
	default:
		if files.dirty() && !opts.AcceptRollback {
			// Badger's recovery would truncate the memtable logs and delete
			// the unlisted tables: look at what it would keep first.
			if err := precheck(path, opts, files); err != nil {
				return nil, err
			}
		}
		if pre, err = guardLastVlog(path, opts, files); err != nil {
			return nil, err
		}
		// Badger's read-write open writes (new log files; at close, the
		// memtable as a table): refuse it on a full disk.
		if err := checkSpace(path, spareBytes(memTableSize(opts))); err != nil {
			return nil, err
		}
		db, err = badgerOpen(badgerOptions(path, opts))
	}
	if err != nil {
		return nil, openError(path, err)
	}
	s := &Store{db: db, path: path, readOnly: opts.ReadOnly, files: files, shadow: sh, noSync: opts.NoSync, preProblems: pre,
		memTableSize: memTableSize(opts)}
	if err := s.init(); err != nil {
		s.closeQuietly()
		return nil, err
	}
	if err := s.checkState(opts.AcceptRollback); err != nil {
		s.closeQuietly()
		return nil, err
	}
	return s, nil
}

// create makes a new store at path atomically: it is initialised (schema
// key, counters, state file) in a temporary directory beside path, which is
// renamed to path once that is committed, so that a kill leaves either no
// store or a whole empty one. Temporary directories of creations that were
// killed are removed.
func create(path string, opts Options) error {
	parent, base := filepath.Split(filepath.Clean(path))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create store %q: %w", path, err)
	}
	if err := checkSpace(parent, spareBytes(memTableSize(opts))); err != nil {
		return err
	}
	pattern := "." + base + ".creating-*"
	if old, _ := filepath.Glob(filepath.Join(parent, pattern)); len(old) > 0 {
		for _, o := range old {
			if l, err := lockShared(o); err == nil { // no creator holds it
				os.RemoveAll(o)
				l.Close()
			}
		}
	}
	tmp, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return fmt.Errorf("create store %q: %w", path, err)
	}
	o := opts
	o.ReadOnly = false
	db, err := badgerOpen(badgerOptions(tmp, o))
	if err == nil {
		s := &Store{db: db, path: tmp, noSync: opts.NoSync}
		err = s.init()
		if err == nil {
			err = s.saveState()
		}
		if cerr := closeDB(db); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(path); serr == nil {
			return nil // another process created it meanwhile
		}
		return fmt.Errorf("create store %q: %w", path, err)
	}
	fsutil.SyncDir(parent)
	return nil
}

// precheck opens a store that a read-write open would recover read-only
// first (through a shadow directory, changing nothing) and refuses it when
// it went back in time.
func precheck(path string, opts Options, files storeFiles) error {
	db, sh, err := openShadow(path, opts, files.orphans)
	if err != nil {
		return openError(path, err)
	}
	s := &Store{db: db, path: path, readOnly: true, files: files, shadow: sh}
	defer s.closeQuietly()
	if _, _, _, err := s.compareState(); err != nil {
		return err
	}
	return nil
}

// guardLastVlog refuses a read-write open of a cleanly closed store whose
// newest value-log file is damaged part-way (badger would cut everything
// after the damage), unless opts.Repair and the damaged entry's lengths are
// intact: then it checks the store read-only, patches the entry's checksum
// and returns the problems found, for Repair.
func guardLastVlog(path string, opts Options, files storeFiles) ([]error, error) {
	if files.unclean || files.noManifest {
		return nil, nil // after a kill, cutting the half-written tail is the recovery
	}
	d, err := lastVlogDamage(path)
	if err != nil || d == nil {
		return nil, err
	}
	fe := &FileError{Path: d.file, Reason: d.Error()}
	if !opts.Repair || !d.framed {
		return nil, fe
	}
	ro := opts
	ro.ReadOnly, ro.Repair = true, false
	s, err := Open(path, ro)
	if err != nil {
		return nil, err
	}
	cerr := s.Check()
	s.Close()
	if err := d.patchCRC(); err != nil {
		return nil, fmt.Errorf("repair %s: %w", d.file, err)
	}
	return append(flattenErrors(cerr), fe), nil
}

// checkState compares the store with its state file (see stateFile). A
// read-write store writes the state file when it has none or is ahead of it
// (a writer killed between its commit and the state write).
func (s *Store) checkState(accept bool) error {
	now, recorded, ok, err := s.compareState()
	var rb *RollbackError
	switch {
	case errors.As(err, &rb) && accept:
		s.rollback = rb
	case err != nil:
		return err
	}
	if s.readOnly || (ok && now == recorded) {
		return nil
	}
	if err := writeState(s.path, now, !s.noSync); err != nil {
		return s.wrapf(err, "open")
	}
	return nil
}

// Rollback returns what an open with Options.AcceptRollback accepted: the
// store went back in time (see ErrRollback); nil when it did not.
func (s *Store) Rollback() *RollbackError { return s.rollback }

// closeQuietly closes a store whose open failed.
func (s *Store) closeQuietly() {
	closeDB(s.db)
	s.shadow.remove()
}

func badgerOptions(path string, opts Options) badger.Options {
	mem := opts.MemTableSize
	if mem <= 0 {
		mem = DefaultMemTableSize
	}
	vlog := opts.ValueLogFileSize
	if vlog <= 0 {
		vlog = DefaultValueLogFileSize
	}
	bo := badger.DefaultOptions(path).
		WithReadOnly(opts.ReadOnly).
		WithSyncWrites(!opts.NoSync).
		WithMemTableSize(mem).
		WithNumMemtables(3).
		WithValueLogFileSize(vlog).
		WithValueThreshold(valueThreshold).
		WithCompression(options.None).
		WithBlockCacheSize(blockCacheSize).
		WithNumCompactors(2).
		WithMetricsEnabled(false).
		WithDetectConflicts(false).    // writes are serialised by Store.mu
		WithVerifyValueChecksum(true). // a damaged value-log entry is an error, never a value
		WithChecksumVerificationMode(options.OnBlockRead).
		WithLogger(nil)
	if opts.Log != nil {
		bo = bo.WithLogger(&badgerLog{w: opts.Log})
	}
	return bo
}

// checkStoreDir refuses paths that are not (and cannot become) a store.
func checkStoreDir(path string, readOnly bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if readOnly {
			return &NotStoreError{Path: path, Problem: NoStoreThere}
		}
		return nil
	case err != nil:
		return fmt.Errorf("open store %q: %w", path, err)
	case !fi.IsDir():
		return &NotStoreError{Path: path, Problem: NotStoreFile}
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("open store %q: %w", path, err)
	}
	if len(entries) == 0 {
		if readOnly {
			return &NotStoreError{Path: path, Problem: NotStoreEmptyDir}
		}
		return nil
	}
	foreign := ""
	for _, e := range entries {
		if e.Name() == badger.ManifestFilename && e.Type().IsRegular() {
			return nil // a badger database; init checks it is vecimg's
		}
		if foreign == "" && !isBadgerFile(e.Name()) {
			foreign = e.Name()
		}
	}
	if foreign == "" {
		return nil // only badger's files: a store whose creation was cut short
	}
	return &NotStoreError{Path: path, Problem: NotStoreOtherFiles, Entry: foreign}
}

// isBadgerFile reports whether name is one of the files badger keeps in its
// directory.
func isBadgerFile(name string) bool {
	switch name {
	case badger.ManifestFilename, "KEYREGISTRY", "DISCARD", lockFile, "MANIFEST-REWRITE", stateFile, stateFile + ".tmp":
		return true
	}
	ext := filepath.Ext(name)
	return ext == ".vlog" || ext == ".sst" || ext == ".mem"
}

// lockFile is the file in which badger's writer leaves its pid.
const lockFile = "LOCK"

// openError turns badger's Open errors into the package's. Badger formats
// the flock error into its message without wrapping it, so the lock is
// recognised by its text.
func openError(path string, err error) error {
	var le *LockedError
	if errors.As(err, &le) {
		return le
	}
	if strings.Contains(err.Error(), "Cannot acquire directory lock") {
		return &LockedError{Path: path, PID: lockPID(path)}
	}
	return fmt.Errorf("open store %q: %w", path, err)
}

// lockPID reads the pid a badger writer leaves in its LOCK file; 0 when
// there is none (a read-only holder writes none).
func lockPID(path string) int {
	b, err := os.ReadFile(filepath.Join(path, lockFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// init checks or writes the schema key and loads the manifest.
func (s *Store) init() error {
	var schema uint64
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		schema, found, err = getUint(txn, keySchema)
		if err != nil || found {
			return err
		}
		if !isEmpty(txn) {
			err = s.noSchemaKey()
		}
		return err
	})
	if err != nil {
		return s.wrapf(err, "open")
	}
	switch {
	case !found && s.readOnly:
		return &IncompleteError{Path: s.path}
	case !found:
		err = s.db.Update(func(txn *badger.Txn) error {
			if err := txn.Set(keySchema, putUint(SchemaVersion)); err != nil {
				return err
			}
			if err := txn.Set(keyGen, putUint(0)); err != nil {
				return err
			}
			return txn.Set(keyCount, putUint(0))
		})
		if err != nil {
			return s.wrapf(err, "initialise")
		}
	case schema > SchemaVersion:
		return fmt.Errorf("%w: store %q has schema %d, this vecimg reads up to %d; upgrade vecimg", ErrSchema, s.path, schema, SchemaVersion)
	case schema < 1:
		return &CorruptError{Key: printableKey(keySchema), Reason: fmt.Sprintf("schema %d", schema)}
	case schema < SchemaVersion && !s.readOnly:
		if err := s.db.Update(upgradeTxn); err != nil {
			return s.wrapf(err, fmt.Sprintf("upgrade from schema %d", schema))
		}
		schema = SchemaVersion
	}
	if !found {
		schema = SchemaVersion
	}
	m, ok, err := s.readManifest()
	if err != nil {
		return err
	}
	m.Schema = int(schema)
	var run uint64
	if err := s.db.View(func(txn *badger.Txn) (err error) { run, err = currentRun(txn); return err }); err != nil {
		return s.wrapf(err, "open")
	}
	s.run.Store(run)
	s.manMu.Lock()
	s.manifest, s.hasManifest = m, ok
	s.manMu.Unlock()
	s.schema = int(schema)
	return nil
}

// noSchemaKey explains a database with keys but no schema key: a vecimg
// store with a damaged table when its state file or a table says so, else
// another application's database.
func (s *Store) noSchemaKey() error {
	if _, err := os.Stat(filepath.Join(s.path, stateFile)); err == nil {
		for _, t := range s.tableFiles() {
			if err := probeTable(t, true); err != nil {
				return &FileError{Path: t, Reason: "damaged table: " + err.Error()}
			}
		}
		return &CorruptError{Key: printableKey(keySchema), Reason: "schema key unreadable (a damaged table?)"}
	}
	return &NotStoreError{Path: s.path, Problem: NotStoreOtherBadger}
}

// tableFiles lists the store's tables: those its MANIFEST named at the open
// (badger leaves out of its levels one whose checksum fails, and Check must
// still see it) and those the open database holds now. A table a flush or
// compaction is still writing is neither, and is not listed: it is empty or
// partial until badger adds it to the MANIFEST.
func (s *Store) tableFiles() []string {
	ids := slices.Clone(s.files.listed)
	for _, ti := range s.db.Tables() {
		ids = append(ids, ti.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = table.NewFilename(id, s.path)
	}
	return out
}

// tableGone reports whether the table file t has been removed since the
// open because a compaction replaced it: it is missing and no longer live.
func (s *Store) tableGone(t string, err error) bool {
	if !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	for _, ti := range s.db.Tables() {
		if table.NewFilename(ti.ID, s.path) == t {
			return false
		}
	}
	return true
}

// isEmpty reports whether the database holds no keys at all.
func isEmpty(txn *badger.Txn) bool {
	it := keyIterator(txn, nil)
	defer it.Close()
	it.Rewind()
	return !it.Valid()
}

// Schema returns the store's schema version on disk: SchemaVersion, or an
// older one for a store opened read-only that no writer has upgraded yet.
func (s *Store) Schema() int { return s.schema }

// Path returns the store's path as given to Open.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Close flushes and closes the store and releases its lock. Closing twice is
// a no-op. Other methods must not run concurrently with Close or after it.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if p := s.stuck.Load(); p != nil {
		select {
		case <-*p:
		default:
			// A read of a Check's scan has not returned: unmapping its
			// files or waiting for it could crash or hang. The process
			// exit releases the database.
			s.shadow.remove()
			return fmt.Errorf("close store %q: %w: a check's read has not returned; the database was left open", s.path, ErrStalled)
		}
	}
	if p := s.pos.Swap(nil); p != nil {
		p.close()
	}
	for _, p := range s.retired {
		p.close()
	}
	s.retired = nil
	err := closeDB(s.db)
	s.shadow.remove()
	if err != nil {
		return fmt.Errorf("close store %q: %w", s.path, err)
	}
	return nil
}

// DiskSize returns the bytes the store's files occupy on disk (allocated
// blocks where the platform reports them, so badger's sparse preallocated
// files count for what they hold, not their length).
func (s *Store) DiskSize() (int64, error) {
	var total int64
	err := filepath.WalkDir(s.path, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile (a compaction, the state file's rename)
		}
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += allocated(fi)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of store %q: %w", s.path, err)
	}
	return total, nil
}

// wrapf adds the operation and store path to err, mapping badger's
// read-only error to ErrReadOnly.
func (s *Store) wrapf(err error, op string) error {
	if errors.Is(err, badger.ErrReadOnlyTxn) {
		err = ErrReadOnly
	}
	return fmt.Errorf("store %q: %s: %w", s.path, op, err)
}

func putUint(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// getUint reads a uint64 key; found is false when the key is absent.
func getUint(txn *badger.Txn, key []byte) (v uint64, found bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	err = item.Value(func(b []byte) error {
		if len(b) != 8 {
			return &CorruptError{Key: printableKey(key), Reason: fmt.Sprintf("counter is %d bytes, want 8", len(b))}
		}
		v = binary.LittleEndian.Uint64(b)
		return nil
	})
	return v, err == nil, err
}

// badgerLog routes badger's log to an io.Writer.
type badgerLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *badgerLog) printf(level, format string, args []any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	var b strings.Builder
	for line := range strings.SplitSeq(msg, "\n") {
		fmt.Fprintf(&b, "badger: %s: %s\n", level, line)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, b.String())
}

func (l *badgerLog) Errorf(f string, a ...any)   { l.printf("error", f, a) }
func (l *badgerLog) Warningf(f string, a ...any) { l.printf("warning", f, a) }
func (l *badgerLog) Infof(f string, a ...any)    { l.printf("info", f, a) }
func (l *badgerLog) Debugf(string, ...any)       {}
