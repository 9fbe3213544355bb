package embed

import "path/filepath"

// KeepFiles returns the files, and the bad files, whose id keep accepts;
// all of them when keep is nil. A bad file's id is its path under root
// without extension, as a good file's would be (an unreadable folder counts
// under its own path), so that N disjoint selections report each bad file
// once too.
func KeepFiles(root string, files []FileEntry, bad []BadFile, keep func(id string) bool) ([]FileEntry, []BadFile) {
	if keep == nil {
		return files, bad
	}
	var kf []FileEntry
	for _, f := range files {
		if keep(f.ID) {
			kf = append(kf, f)
		}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	var kb []BadFile
	for _, b := range bad {
		id, err := IDFor(abs, b.Path)
		if err != nil || keep(id) {
			kb = append(kb, b)
		}
	}
	return kf, kb
}
