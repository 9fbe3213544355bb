package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// ServeLock is types.ServeLock.
type ServeLock = types.ServeLock

// ServeLockPath is the serve lock file of the store at db.
func ServeLockPath(db string) string { return filepath.Clean(db) + ".serve.json" }

// WriteServeLock records this process as the server of the store at db;
// remove the file with the returned func when the server stops.
func WriteServeLock(db, addr string) (remove func(), err error) {
	l := ServeLock{PID: os.Getpid(), Addr: addr, DB: db, Started: time.Now().UTC()}
	path := ServeLockPath(db)
	err = fsutil.WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	})
	if err != nil {
		return nil, err
	}
	return func() {
		if cur, ok := ReadServeLock(db); ok && cur.PID == l.PID {
			os.Remove(path)
		}
	}, nil
}

// ReadServeLock returns the serve lock of the store at db when a live
// process wrote it.
func ReadServeLock(db string) (ServeLock, bool) {
	b, err := os.ReadFile(ServeLockPath(db))
	if err != nil {
		return ServeLock{}, false
	}
	var l ServeLock
	if json.Unmarshal(b, &l) != nil || l.PID <= 0 {
		return ServeLock{}, false
	}
	if err := syscall.Kill(l.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return ServeLock{}, false // that server is gone (killed): a stale file
	}
	return l, true
}

// servedBusy is the message of a lock conflict with a running `vecimg
// serve`; "" when the store's holder is not one.
func servedBusy(err error) string {
	var le *store.LockedError
	if !errors.As(err, &le) {
		return ""
	}
	l, ok := ReadServeLock(le.Path)
	if !ok || (le.PID > 0 && le.PID != l.PID) {
		return ""
	}
	return fmt.Sprintf("store %q is held by `vecimg serve` (pid %d, listening on http://%s since %s): use its web page or API, or stop it (Ctrl-C or kill %d) and run this command again",
		le.Path, l.PID, l.Addr, l.Started.Local().Format("15:04:05"), l.PID)
}
