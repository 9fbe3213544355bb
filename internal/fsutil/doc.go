// Package fsutil holds the one durable file-writing routine every vecimg
// output goes through: WriteFileAtomic writes a temporary file beside the
// target, syncs it, renames it over the target and syncs the directory, so a
// reader (or a crash) sees the old file or the new one, never a mix; the
// temporary file is locked while written, so that StaleTemps can list (and
// RemoveStaleTemps delete) what a killed writer left. Inside tells whether a
// path lies in a folder.
package fsutil
