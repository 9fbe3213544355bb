//go:build !linux

package app

import (
	"errors"
	"os"
)

// renameNoReplace is not available here: without a rename that refuses to
// replace, a file is only ever put in place by a hard link.
func renameNoReplace(oldpath, newpath string) error {
	return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: errors.New("no rename that refuses to replace on this system")}
}
