package fsutil

import (
	"os"
	"path/filepath"
	"slices"
)

// OutputMarker is the file vecimg writes into a folder of its own output
// (contact sheets): `vecimg ingest` skips a folder that holds it, so sheets
// written inside an image folder are not ingested as images next time.
const OutputMarker = ".vecimg-output"

// MarkOutput writes OutputMarker into dir.
func MarkOutput(dir string) error {
	return os.WriteFile(filepath.Join(dir, OutputMarker),
		[]byte("This folder was written by vecimg (contact sheets); vecimg ingest skips it.\n"), 0o644)
}

// RemoveStale removes the files of dir that match the glob pattern (as
// filepath.Match reads it) and are not in keep: the pages of an earlier run
// that this run did not write again.
func RemoveStale(dir, pattern string, keep []string) error {
	old, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	for _, p := range old {
		if !slices.Contains(keep, p) {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}
