package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The what of checkOutputFile, checkOutputDir and checkInputFile names the
// file in the error: an option marked by opt, or a word.

// checkOutputFile checks, without leaving anything behind, that a file can
// be written at path: it is not a folder and its folder exists and takes
// new files.
func checkOutputFile(path, what string) error {
	if path == "" {
		return optInvalidf("%s: empty file name", what)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return optInvalidf("%s %s is a folder: pass a file name", what, path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return optInvalidf("%s %s: folder %s does not exist; create it first", what, path, dir)
	}
	return probeDir(dir, what+" "+path)
}

// checkOutputDir checks that dir is a folder, or can be created as one
// below its nearest existing parent, and takes new files.
func checkOutputDir(dir, what string) error {
	if dir == "" {
		return optInvalidf("%s: empty folder name", what)
	}
	d := filepath.Clean(dir)
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return optInvalidf("%s %s: %s is a file, not a folder", what, dir, d)
			}
			return probeDir(d, what+" "+dir)
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return optInvalidf("%s %s: %v", what, dir, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return optInvalidf("%s %s: no existing parent folder", what, dir)
		}
		d = parent
	}
}

// probeDir creates and removes a temporary file in dir.
func probeDir(dir, what string) error {
	f, err := os.CreateTemp(dir, ".vecimg-probe-*")
	if err != nil {
		return optInvalidf("%s: cannot write in %s: %v", what, dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return optErr(nil, err, "%s: removing the probe file %s: %v", what, name, err)
	}
	return nil
}

// checkInputFile checks that path is a readable regular file.
func checkInputFile(path, what string) error {
	f, err := os.Open(path)
	if err != nil {
		return optInvalidf("%s %s: %v", what, path, errors.Unwrap(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return optInvalidf("%s %s: %v", what, path, err)
	}
	if fi.IsDir() {
		return optInvalidf("%s %s is a folder, not a file", what, path)
	}
	return nil
}
