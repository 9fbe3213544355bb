package cli

import (
	"fmt"

	"github.com/vecimg/vecimg/internal/app"
)

// Errors main maps to exit codes.
var (
	// ErrUsage: bad flags or arguments (app.ErrInvalid: the same sentinel).
	ErrUsage = app.ErrInvalid
	// ErrBadFiles: --strict and some inputs were bad.
	ErrBadFiles = fmt.Errorf("bad input files")
	// ErrBusy: the store is in use by another process (app.ErrBusy).
	ErrBusy = app.ErrBusy
	// ErrCheck: `vecimg check` found problems (app.ErrCheckFailed).
	ErrCheck = app.ErrCheckFailed
)

// IsBadInput reports whether err means the request cannot be done as given
// (usage, a name that matches nothing, an unusable input file, inputs that
// contradict the store): exit status 2.
func IsBadInput(err error) bool { return app.IsBadInput(err) }

type usageError struct{ msg string }

func (e usageError) Error() string   { return e.msg }
func (e usageError) Is(t error) bool { return t == ErrUsage }

func usagef(format string, a ...any) error {
	return usageError{msg: fmt.Sprintf(format, a...)}
}

// argCountError explains a wrong number of positional arguments.
func argCountError(cmd, want string, args []string) error {
	if len(args) == 0 {
		return usagef("%s needs %s (see vecimg %s --help)", cmd, want, cmd)
	}
	return usagef("%s takes one %s, got %d arguments: %q", cmd, want, len(args), args)
}
