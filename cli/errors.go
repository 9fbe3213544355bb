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

// argCountError explains a wrong number of arguments, pointing out flags
// written after them (urfave/cli stops reading flags at the first argument).
func argCountError(cmd, want string, args []string) error {
	for i, a := range args {
		if i == 0 {
			continue
		}
		if len(a) > 1 && a[0] == '-' {
			return usagef("%s: flags go before %s (got %q after it)", cmd, want, a)
		}
	}
	return usagef("%s takes one %s, got %d arguments", cmd, want, len(args))
}
