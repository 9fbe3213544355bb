package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"

	"github.com/vecimg/vecimg/internal/testhook"
)

// storeFiles is what Open learns from a store's directory before badger
// opens it.
type storeFiles struct {
	// orphans are table files the MANIFEST does not list. Badger deletes
	// them when it opens the store, read-only or not: after a compaction cut
	// short they are leftovers, after a damaged MANIFEST they hold committed
	// records.
	orphans []string
	// unclean: a memtable log (.mem) is present, so the last writer did not
	// close the store, and a read-write open would replay and truncate it.
	unclean bool
	// noManifest: the directory holds no MANIFEST (a store being created).
	noManifest bool
	// listed are the tables the MANIFEST named at the open, including any
	// badger then skipped as damaged.
	listed []uint64
}

func (f storeFiles) dirty() bool { return len(f.orphans) > 0 || f.unclean }

// inspectDir reads the store's MANIFEST (without changing it) and lists the
// tables it does not name.
func inspectDir(path string) (storeFiles, error) {
	var sf storeFiles
	entries, err := os.ReadDir(path)
	if err != nil {
		return sf, fmt.Errorf("open store %q: %w", path, err)
	}
	tables := map[uint64]string{}
	for _, e := range entries {
		name := e.Name()
		switch filepath.Ext(name) {
		case ".sst":
			if id, err := strconv.ParseUint(strings.TrimSuffix(name, ".sst"), 10, 64); err == nil {
				tables[id] = name
			}
		case ".mem":
			sf.unclean = true
		}
	}
	f, err := os.Open(filepath.Join(path, badger.ManifestFilename))
	if errors.Is(err, fs.ErrNotExist) {
		sf.noManifest = true
		return sf, nil
	}
	if err != nil {
		return sf, fmt.Errorf("open store %q: %w", path, err)
	}
	defer f.Close()
	m, _, err := replayManifest(f)
	if err != nil {
		return sf, &FileError{Path: filepath.Join(path, badger.ManifestFilename), Reason: "damaged: " + err.Error()}
	}
	for id, name := range tables {
		if _, ok := m.Tables[id]; !ok {
			sf.orphans = append(sf.orphans, name)
			continue
		}
		sf.listed = append(sf.listed, id)
		if tm := m.Tables[id]; tm.Compression != options.None || tm.KeyID != 0 {
			continue // not written by vecimg (compressed or encrypted): init says so
		}
		if err := probeTable(filepath.Join(path, name), false); err != nil {
			return sf, &FileError{Path: filepath.Join(path, name), Reason: "damaged table: " + err.Error()}
		}
	}
	slices.Sort(sf.orphans)
	return sf, nil
}

// replayManifest reads a MANIFEST with badger's reader, turning a panic on
// damaged bytes into an error.
func replayManifest(f *os.File) (m badger.Manifest, off int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable (%v)", r)
		}
	}()
	return badger.ReplayManifestFile(f, 0, badger.DefaultOptions(""))
}

// shadow is a private directory of links to a store's files through which
// badger opens the store read-only without changing any of them: badger
// deletes the tables its MANIFEST does not list even when read-only, and
// refuses a read-only open while a killed writer's memtable log has an
// unused tail. In the shadow, the tables left out are simply not linked,
// and each memtable log is a private copy that badger's own replay says
// where to cut. The store directory itself is locked shared, as badger's
// read-only open does, so that no writer can start while it is in use.
type shadow struct {
	dir  string
	lock *os.File
}

// truncateRE finds, in badger's ErrTruncateNeeded message, the memtable log
// and the offset where its last complete transaction ends.
var truncateRE = regexp.MustCompile(`while opening fid: (\d+).*end offset: (\d+) < size`)

// openShadow opens the store at path read-only through a shadow directory.
func openShadow(path string, opts Options, skip []string) (db *badger.DB, sh *shadow, err error) {
	lock, err := lockShared(path)
	if err != nil {
		return nil, nil, err
	}
	sh = &shadow{lock: lock}
	defer func() {
		if err != nil {
			sh.remove()
		}
	}()
	if sh.dir, err = os.MkdirTemp("", "vecimg-readonly-*"); err != nil {
		return nil, nil, fmt.Errorf("open store %q read-only: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open store %q: %w", path, err)
	}
	skipped := map[string]bool{lockFile: true}
	for _, s := range skip {
		skipped[s] = true
	}
	for _, e := range entries {
		name := e.Name()
		if skipped[name] || !e.Type().IsRegular() || !isBadgerFile(name) {
			continue
		}
		src, dst := filepath.Join(abs, name), filepath.Join(sh.dir, name)
		if filepath.Ext(name) == ".mem" {
			// A writer killed as it created a memtable log leaves it
			// empty: it holds nothing, and badger's read-only open fails on
			// it (it would size the file first).
			if fi, ierr := e.Info(); ierr == nil && fi.Size() == 0 {
				continue
			}
			err = copyFile(src, dst)
		} else {
			err = os.Symlink(src, dst)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("open store %q read-only: %w", path, err)
		}
	}
	ro := opts
	ro.ReadOnly = true
	for tries := 0; ; tries++ {
		db, err = badgerOpen(badgerOptions(sh.dir, ro))
		if err == nil || tries > len(entries) {
			break
		}
		m := truncateRE.FindStringSubmatch(err.Error())
		if m == nil {
			break
		}
		fid, _ := strconv.Atoi(m[1])
		end, _ := strconv.ParseInt(m[2], 10, 64)
		if terr := os.Truncate(filepath.Join(sh.dir, fmt.Sprintf("%05d.mem", fid)), end); terr != nil {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return db, sh, nil
}

func (sh *shadow) remove() {
	if sh == nil {
		return
	}
	if sh.dir != "" {
		os.RemoveAll(sh.dir)
	}
	if sh.lock != nil {
		sh.lock.Close() // releases the flock
	}
}

// copyFile copies a memtable log, keeping its runs of zeros (badger
// preallocates twice the memtable size) as holes, so that the copy takes
// only the space of what was written.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	var size int64
	for err == nil {
		var n int
		n, err = io.ReadFull(in, buf)
		if n > 0 {
			if isZero(buf[:n]) {
				_, werr := out.Seek(int64(n), io.SeekCurrent)
				err = errors.Join(err, werr)
			} else if _, werr := out.Write(buf[:n]); werr != nil {
				err = werr
			}
			size += int64(n)
		}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = out.Truncate(size)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// badgerOpen is badger.Open with a panic on damaged files turned into an
// error.
func badgerOpen(o badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: badger failed on a damaged file: %v", ErrCorrupt, r)
		}
	}()
	return badger.Open(o)
}

// closeTimeout bounds how long Close waits for badger: on a damaged value
// log, badger's close has been seen to wait forever.
const closeTimeout = 20 * time.Second

// closeDB closes db, giving up after closeTimeout.
func closeDB(db *badger.DB) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%w: badger failed while closing: %v", ErrCorrupt, r)
			}
		}()
		testhook.BadgerClose()
		done <- db.Close()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		return fmt.Errorf("%w: closing did not finish within %v", ErrCorrupt, closeTimeout)
	}
}

// probeTable opens a table file read-only with badger's table reader, in
// this goroutine so that a panic on damaged bytes is caught (badger opens
// tables in goroutines of its own, where a panic ends the process, and it
// skips a table whose checksum fails without a word). With verify it also
// checks every block's checksum.
func probeTable(path string, verify bool) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() == 0 {
		return errors.New("empty table file")
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return err
	}
	defer unmap()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable table (%v)", firstLine(fmt.Sprint(r)))
		}
	}()
	t, err := table.OpenInMemoryTable(data, 1, &table.Options{ChkMode: options.NoVerification})
	if err != nil {
		return err
	}
	if verify {
		return t.VerifyChecksum()
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "==") {
			return l
		}
	}
	return s
}
