package cli

import "errors"

// Errors main maps to exit codes.
var (
	// ErrUsage: bad flags or arguments.
	ErrUsage = errors.New("usage")
	// ErrBadFiles: --strict and some inputs were bad.
	ErrBadFiles = errors.New("bad input files")
	// ErrBusy: the store is in use by another process.
	ErrBusy = errors.New("store busy")
)

type usageError struct{ msg string }

func (e usageError) Error() string   { return e.msg }
func (e usageError) Is(t error) bool { return t == ErrUsage }

func usagef(format string, a ...any) error {
	return usageError{msg: sprintf(format, a...)}
}
