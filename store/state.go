package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// stateFile is the store's own record of its last commit, written (and
// fsync'd) after every commit that moves the generation or the clustering,
// outside badger's files. An open compares it with what badger recovered:
// a store whose generation or clustering run went back is refused with
// ErrRollback (Options.AcceptRollback lets it open).
const stateFile = "VECIMG-STATE"

type stateJSON struct {
	StoreState
	CRC uint32 `json:"crc"`
}

func (s StoreState) crc() uint32 {
	return crc32.Checksum(fmt.Appendf(nil, "%d %d %d", s.Generation, s.Count, s.Run), castagnoliTable)
}

var castagnoliTable = crc32.MakeTable(crc32.Castagnoli)

// readState reads the state file; ok is false when there is none. A state
// file that does not decode is a *FileError.
func readState(dir string) (st StoreState, ok bool, err error) {
	p := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("read %s: %w", p, err)
	}
	var j stateJSON
	if err := json.Unmarshal(b, &j); err != nil || j.CRC != j.StoreState.crc() {
		return st, false, &FileError{Path: p, Reason: "damaged state file (it records the last commit; the next write rewrites it)"}
	}
	return j.StoreState, true, nil
}

// writeState replaces the state file: temporary file, fsync, rename,
// directory fsync (the fsyncs are skipped with NoSync).
func writeState(dir string, st StoreState, sync bool) error {
	b, err := json.Marshal(stateJSON{StoreState: st, CRC: st.crc()})
	if err != nil {
		return err
	}
	p := filepath.Join(dir, stateFile)
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	if sync {
		fsutil.SyncDir(dir)
	}
	return nil
}

// currentState reads the generation, count and clustering run the store
// holds now.
func (s *Store) currentState() (StoreState, error) {
	var st StoreState
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if st.Generation, st.Count, err = counters(txn); err != nil {
			return err
		}
		st.Run, err = currentRun(txn)
		return err
	})
	return st, err
}

// compareState checks what the store holds against its state file. It
// returns a *RollbackError when the store went back; recorded is the state
// file's content (ok false when there is none or it is damaged).
func (s *Store) compareState() (now, recorded StoreState, ok bool, err error) {
	if now, err = s.currentState(); err != nil {
		return now, recorded, false, s.wrapf(err, "read counters")
	}
	recorded, ok, err = readState(s.path)
	if err != nil || !ok {
		return now, recorded, false, nil // a damaged state file is reported by Check and rewritten by the next write
	}
	if now.Generation < recorded.Generation || now.Run < recorded.Run ||
		(now.Generation == recorded.Generation && now.Count != recorded.Count) {
		return now, recorded, true, &RollbackError{Path: s.path, Recorded: recorded, Found: now, Orphans: s.files.orphans}
	}
	return now, recorded, true, nil
}

// saveState writes the state after a commit; the caller holds s.mu. An
// error here comes after the commit: the data is stored, and the next
// commit or read-write open writes the state again.
func (s *Store) saveState() error {
	st, err := s.currentState()
	if err != nil {
		return err
	}
	return writeState(s.path, st, !s.noSync)
}

// currentRun reads the current clustering's run number (m/run); 0 when
// there is none.
func currentRun(txn *badger.Txn) (uint64, error) {
	run, _, err := getUint(txn, keyRun)
	return run, err
}
