package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// Config says which store an App works on and how it runs models.
type Config struct {
	// DB is the store path (a folder).
	DB string
	// ReadOnly opens the store for queries only; writing operations then
	// fail. Any number of read-only Apps may share a store.
	ReadOnly bool
	// ORTLib is the ONNX Runtime shared library; "" uses embed's discovery
	// order (the vecimg cache, then the system library path).
	ORTLib string
	// Session chooses the device and threads of model sessions.
	Session types.SessionOptions
	// Progress is used by operations whose options carry none; nil shows
	// nothing.
	Progress Progress
	// LateWrite makes a read-write App open the store read-only at first
	// and reopen it for writing only when an operation is about to write,
	// after it checked its inputs: opening a badger store for writing
	// changes its files, so a refused command then leaves the store
	// byte-for-byte as it was. For front ends that run one operation per
	// App (the CLI); a server running operations concurrently leaves it
	// false and gets the store opened for writing at Open.
	LateWrite bool
	// RecallTarget is the recall@10 that a build or a large update of the
	// index tunes its default search breadth for (--recall-target): a value
	// in (0, 1], or 0 for index.DefaultRecallTarget.
	RecallTarget float64
	// AcceptRollback opens a store that went back in time (see
	// store.ErrRollback) as it is now instead of refusing it.
	AcceptRollback bool
	// DeferOpen leaves the store closed until the first operation needs it,
	// so that the operation sees the open's error (Check reports a damaged
	// store as a problem instead of failing).
	DeferOpen bool
	// ServeReads: once the App holds the store for writing, it answers the
	// read requests of other vecimg processes on the store's read socket
	// (readsock.go), and a writer that finds the store held by readers
	// waits for them (up to WaitReaders) instead of failing.
	ServeReads bool
	// WaitReaders bounds that wait; 0 means a minute.
	WaitReaders time.Duration
	// OnWait, when set, is told (once) what the App is waiting for.
	OnWait func(msg string)
}

// App is one open store with its index and model session. Open it once and
// call its methods from any number of goroutines; Close it at the end.
type App struct {
	cfg Config

	mu      sync.Mutex   // guards st and stWrite
	st      *store.Store // nil until opened (and until the store exists: a writer creates it lazily)
	stWrite bool         // st is open for writing
	repair  bool         // open for writing with store.Options.Repair (Check with Repair)

	writeMu sync.Mutex // one writing operation (ingest, cluster, import) at a time

	idx    indexState  // index.go
	models modelState  // model.go
	views  viewState   // list.go, map.go: caches of the server's listing and map
	reads  *readServer // readsock.go: set while answering other processes' reads
}

// Open opens the store at cfg.DB. When no store exists there yet, Open
// succeeds and each operation checks its options first and then fails with
// ErrNoStore — except a writing operation of a read-write App (Ingest,
// Import), which creates the store once its inputs were checked, so that a
// refused command leaves no empty store behind. A store held by another
// process gives ErrBusy.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.DB == "" {
		return nil, optInvalidf("no store path: pass {db} PATH")
	}
	if !(cfg.RecallTarget >= 0 && cfg.RecallTarget <= 1) {
		return nil, invalidf("recall target %v is not in (0, 1]: give a recall@10 such as 0.99", cfg.RecallTarget)
	}
	a := &App{cfg: cfg}
	a.idx.target = cfg.RecallTarget
	if _, err := os.Stat(cfg.DB); errors.Is(err, fs.ErrNotExist) || cfg.DeferOpen {
		return a, nil // operations check their options first, then say there is no store
	}
	if _, err := a.openStore(false, false); err != nil && !errors.Is(err, ErrNoStore) {
		return nil, err
	}
	return a, nil
}

func noStore(db string) error {
	return optErr(ErrNoStore, nil, "no store at %s: run `vecimg ingest DIR` (or `vecimg import FILE.npz`) first, or pass {db} PATH", db)
}

// openStore returns the open store, opening it if needed: for writing when
// write is set (creating it when create is set), else read-only for a
// LateWrite or ReadOnly App and for writing otherwise.
func (a *App) openStore(write, create bool) (*store.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st != nil && (a.stWrite || !write) {
		return a.st, nil
	}
	if !create {
		if _, err := os.Stat(a.cfg.DB); errors.Is(err, fs.ErrNotExist) {
			return nil, noStore(a.cfg.DB)
		}
	}
	if a.st != nil { // read-only so far (LateWrite): reopen for writing
		if err := a.st.Close(); err != nil {
			return nil, err
		}
		a.st = nil
	}
	rw := !a.cfg.ReadOnly && (write || !a.cfg.LateWrite)
	st, err := store.Open(a.cfg.DB, store.Options{ReadOnly: !rw, AcceptRollback: a.cfg.AcceptRollback, Repair: rw && a.repair})
	if rw && errors.Is(err, store.ErrLocked) && a.cfg.ServeReads {
		st, err = a.waitForReaders(err)
	}
	if errors.Is(err, store.ErrIncomplete) {
		return nil, noStore(a.cfg.DB) // a writer finishes creating it
	}
	if err != nil {
		return nil, busy(err)
	}
	a.st, a.stWrite = st, rw
	if rw {
		a.startReads()
	}
	return st, nil
}

// Store returns the open store, or ErrNoStore when none exists yet. For
// operations of this package and of the server; it must not be closed.
func (a *App) Store() (*store.Store, error) { return a.openStore(false, false) }

// DB returns the store path.
func (a *App) DB() string { return a.cfg.DB }

// writable returns the store for a writing operation, creating it when
// create is set.
func (a *App) writable(create bool) (*store.Store, error) {
	if a.cfg.ReadOnly {
		return nil, fmt.Errorf("%w: the store %s is open read-only", store.ErrReadOnly, a.cfg.DB)
	}
	return a.openStore(true, create)
}

// Close releases the model session and closes the store.
func (a *App) Close() error {
	a.stopReads()
	a.closeModels()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st == nil {
		return nil
	}
	err := a.st.Close()
	a.st = nil
	return err
}

// nonEmptyStore opens the App's store (see Store) and checks that it holds
// vectors (see storeNonEmpty).
func (a *App) nonEmptyStore() (*store.Store, store.Manifest, int, error) {
	st, err := a.Store()
	if err != nil {
		return nil, store.Manifest{}, 0, err
	}
	man, n, err := storeNonEmpty(st)
	return st, man, n, err
}

// storeNonEmpty returns the manifest of a store that holds vectors, or an
// error telling the user to fill it first.
func storeNonEmpty(st *store.Store) (store.Manifest, int, error) {
	man, ok, err := st.Manifest()
	if err != nil {
		return man, 0, err
	}
	n, err := st.Count()
	if err != nil {
		return man, 0, err
	}
	if !ok || n == 0 {
		return man, 0, &msgError{msg: fmt.Sprintf("store %s holds no vectors: run `vecimg ingest DIR` (or `vecimg import FILE.npz`) first", st.Path()), kind: ErrNoStore}
	}
	return man, n, nil
}

// manifestIfAny returns the store's manifest, or nil when there is no store
// or it has none yet (a writing operation is about to create it).
func (a *App) manifestIfAny() (*store.Manifest, error) {
	st, err := a.Store()
	if errors.Is(err, ErrNoStore) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, ok, err := st.Manifest()
	if err != nil || !ok {
		return nil, err
	}
	return &m, nil
}
