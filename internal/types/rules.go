package types

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// MaxIDLen is the longest id, in bytes.
const MaxIDLen = 4096

// ErrBadID is matched by the error of CheckID.
var ErrBadID = errors.New("invalid id")

// CheckID reports why id cannot be used, or nil: it must be non-empty, at
// most MaxIDLen bytes and hold no NUL byte.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty id", ErrBadID)
	case len(id) > MaxIDLen:
		return fmt.Errorf("%w: %.40q… is %d bytes, more than %d", ErrBadID, id, len(id), MaxIDLen)
	case strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: %q contains a NUL byte", ErrBadID, id)
	}
	return nil
}

// Inside reports whether path lies in the folder dir (compared as given:
// resolve symbolic links first where that matters).
func Inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}
