package index

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of these (test
// with errors.Is) and add what failed and on which id or file.
var (
	// ErrDimension: a vector's length differs from the index dimension, or
	// a loaded index has a dimension the caller did not expect.
	ErrDimension = errors.New("index: dimension mismatch")
	// ErrInvalidVector: a vector is all zeros or contains NaN or ±Inf, so it
	// has no direction and no cosine distance.
	ErrInvalidVector = errors.New("index: invalid vector")
	// ErrInvalidID: an id is empty or longer than MaxIDLen bytes.
	ErrInvalidID = errors.New("index: invalid id")
	// ErrInvalidK: k (the number of neighbours asked for) is not positive.
	ErrInvalidK = errors.New("index: k must be positive")
	// ErrConfig: a Config field is out of range.
	ErrConfig = errors.New("index: invalid config")
	// ErrNotFound: an id is not in the index.
	ErrNotFound = errors.New("index: id not found")
	// ErrFull: the index cannot hold more vectors (2^32-1 slots).
	ErrFull = errors.New("index: index is full")
	// ErrCorrupt: an index file is truncated, fails its checksum or holds
	// inconsistent data. Such a file must not be trusted; rebuild it.
	ErrCorrupt = errors.New("index: corrupt index file")
	// ErrNoSource: exact search was asked of an index that has no vector
	// source (see SetSource), or re-ranking of one without a fetcher.
	ErrNoSource = errors.New("index: no vector source")
	// ErrVersion: an index file was written in a format version this build
	// does not read. Rebuild it.
	ErrVersion = errors.New("index: unsupported index file version")
)

// FileError is an index file that cannot be used. Path names the file (""
// until the function that opened it fills it in), Reason says what is
// wrong with it ("header checksum mismatch"), and Err is ErrCorrupt or
// ErrVersion, which errors.Is sees.
type FileError struct {
	Path   string
	Reason string
	Err    error
}

// Problem is the file's state and its reason, without the path:
// "damaged: header checksum mismatch".
func (e *FileError) Problem() string {
	if e.Err == ErrVersion {
		return "of another format version: " + e.Reason
	}
	return "damaged: " + e.Reason
}

func (e *FileError) Error() string {
	if e.Path == "" {
		return "index file is " + e.Problem()
	}
	return "index file " + e.Path + " is " + e.Problem()
}

func (e *FileError) Unwrap() error { return e.Err }

// corruptf is a *FileError wrapping ErrCorrupt, its reason formatted.
func corruptf(format string, a ...any) error {
	return &FileError{Reason: fmt.Sprintf(format, a...), Err: ErrCorrupt}
}

// atFile names path in err when it is a *FileError that does not name its
// file yet; other errors it wraps with op (what was being done) and path.
func atFile(op, path string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		if fe.Path == "" {
			c := *fe
			c.Path = path
			return &c
		}
		return fe
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
