package embed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// ImageExtensions are the file extensions ingest picks up (case-insensitive).
var ImageExtensions = []string{".jpg", ".jpeg", ".png", ".gif"}

// FileEntry is one image file found under the ingested folder.
type FileEntry struct {
	Path string // absolute path
	ID   string // path relative to the root, without extension, '/'-separated
	Size int64
}

// BadFile is an input that was skipped, with a one-line reason.
type BadFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// PixelLimit is the pixel limit the image was over, when that is why
	// it was skipped (see preprocess.BadImageError); 0 otherwise.
	PixelLimit int64 `json:"-"`
}

func (b BadFile) Error() string { return b.Path + ": " + b.Reason }

// IDFor maps a file under root to its id: the relative path without its
// extension, with '/' separators ("data/test/123.jpg" under "data/test" → "123").
func IDFor(root, path string) (string, error) {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	return strings.TrimSuffix(rel, filepath.Ext(rel)), nil
}

func isImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range ImageExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// Listing is what Walk returned for a folder: its image files and the
// files it could not take.
type Listing struct {
	Files []FileEntry
	Bad   []BadFile
}

// Walk lists the image files under root in lexical order, never entering a
// folder twice (a directory loop is reported as a BadFile). Unreadable
// folders and files are reported, not fatal. Two files that map to the same
// id: the first in walk order is kept, the later ones are reported as
// duplicates.
//
// Symbolic links are followed while they lead to a file or folder inside
// root; one that leads out of it is reported as a BadFile unless
// followLinks, so that a link placed in a watched or shared folder cannot
// pull in files from elsewhere. Image-named entries that are not regular
// files (named pipes, devices, links to them, broken links, link loops) are
// reported with the reason.
func Walk(root string, followLinks bool) ([]FileEntry, []BadFile, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read folder %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a folder: pass the folder that holds the images", root)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read folder %s: %w", root, err)
	}
	w := &walker{root: abs, realRoot: real, follow: followLinks, seenDirs: map[[2]uint64]string{}, ids: map[string]string{}}
	w.dir(abs, abs)
	return w.files, w.bad, nil
}

type walker struct {
	root     string
	realRoot string               // root with its symbolic links resolved
	follow   bool                 // follow links out of root
	seenDirs map[[2]uint64]string // (dev, inode) → first path
	ids      map[string]string    // id → path that claimed it
	files    []FileEntry
	bad      []BadFile
}

func dirKey(fi os.FileInfo) ([2]uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]uint64{}, false
	}
	return [2]uint64{uint64(st.Dev), uint64(st.Ino)}, true
}

// dir walks the folder at real path p, named logical (the path under root as
// the user sees it, through links).
func (w *walker) dir(logical, p string) {
	fi, err := os.Stat(p)
	if err != nil {
		w.bad = append(w.bad, BadFile{Path: logical, Reason: "cannot read folder: " + errText(err)})
		return
	}
	if k, ok := dirKey(fi); ok {
		if first, seen := w.seenDirs[k]; seen {
			w.bad = append(w.bad, BadFile{Path: logical, Reason: "directory loop (same folder as " + first + "), skipped"})
			return
		}
		w.seenDirs[k] = logical
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		w.bad = append(w.bad, BadFile{Path: logical, Reason: "cannot read folder: " + errText(err)})
		return
	}
	if logical != w.root && slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == fsutil.OutputMarker }) {
		return // vecimg's own output (contact sheets) inside the folder
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		name := e.Name()
		lp := filepath.Join(logical, name)
		rp := filepath.Join(p, name)
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			target, err := os.Stat(rp)
			if err != nil {
				switch {
				case errors.Is(err, syscall.ELOOP):
					w.bad = append(w.bad, BadFile{Path: lp, Reason: "symbolic link loop (it leads back to itself), skipped"})
				case isImageName(name):
					w.bad = append(w.bad, BadFile{Path: lp, Reason: "broken symbolic link: " + errText(err)})
				}
				continue
			}
			if !w.follow {
				if to, err := filepath.EvalSymlinks(rp); err != nil || !fsutil.Inside(w.realRoot, to) {
					if target.IsDir() || isImageName(name) {
						w.bad = append(w.bad, BadFile{Path: lp, Reason: fmt.Sprintf("symbolic link to %s, outside the folder; skipped", to)})
					}
					continue
				}
			}
			if target.IsDir() {
				w.dir(lp, rp)
				continue
			}
			typ = target.Mode().Type()
		}
		if typ.IsDir() {
			w.dir(lp, rp)
			continue
		}
		if !isImageName(name) {
			continue
		}
		if !typ.IsRegular() {
			w.bad = append(w.bad, BadFile{Path: lp, Reason: "not a regular file (" + kindOf(typ) + "), skipped"})
			continue
		}
		id, err := IDFor(w.root, lp)
		if err != nil {
			w.bad = append(w.bad, BadFile{Path: lp, Reason: err.Error()})
			continue
		}
		if prev, dup := w.ids[id]; dup {
			w.bad = append(w.bad, BadFile{Path: lp, Reason: fmt.Sprintf("duplicate id %q (already taken by %s), skipped", id, prev)})
			continue
		}
		w.ids[id] = lp
		var size int64
		if info, err := os.Stat(rp); err == nil {
			size = info.Size()
		}
		w.files = append(w.files, FileEntry{Path: lp, ID: id, Size: size})
	}
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// kindOf names a file type for a bad-file reason.
func kindOf(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}
