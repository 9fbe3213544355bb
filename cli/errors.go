package cli

import (
	"errors"
	"fmt"
	"strings"

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

// wordError words an error for the command line, once, as Run returns it:
// an app.ParamError with the command's flag (--k 99 is …), and an error a
// library or the App returns as bare facts with what the user can do about
// it (advice), naming the flags. Only the CLI names flags.
func wordError(err error) error {
	if err == nil {
		return nil
	}
	var pe *app.ParamError
	if errors.As(err, &pe) {
		return &wordedError{msg: optionFlag(pe.Param) + " " + pe.Value + " " + pe.Problem, err: err}
	}
	var oe *app.OptionError
	if errors.As(err, &oe) {
		return &wordedError{msg: strings.Replace(err.Error(), oe.Error(), oe.Word(optionFlag), 1) + advice(err), err: err}
	}
	var adv *app.AdvisedError
	if errors.As(err, &adv) {
		return &wordedError{msg: strings.TrimSuffix(err.Error(), adv.Msg) + advised(adv), err: err}
	}
	if a := advice(err); a != "" {
		return &wordedError{msg: err.Error() + a, err: err}
	}
	return err
}

// optionFlag is the flag that sets an App option (app.ParamError.Param,
// app.OptionError's options): --OPTION, but for the ones below.
func optionFlag(option string) string {
	if f, ok := flagOf[option]; ok {
		return f
	}
	return "--" + option
}

// flagOf are the App's options whose flag is not --OPTION.
var flagOf = map[string]string{
	"n": "-n",
	"k": "-k", // as --help shows it; --k works too
}

// wordedError is err with the CLI's wording.
type wordedError struct {
	msg string
	err error
}

func (e *wordedError) Error() string { return e.msg }
func (e *wordedError) Unwrap() error { return e.err }

// advice is what the user can do about err, with its leading punctuation
// ("; use another --db"), or "" when the error says it itself or there is
// nothing to add.
func advice(err error) string {
	var (
		notStore *app.NotStoreError
		locked   *app.LockedError
		mismatch *app.MismatchError
		conflict *app.ConflictError
		renamed  *app.RenameError
		column   *app.ColumnError
		outDir   *app.OutDirError
		float16  *app.Float16RangeError
		weights  *app.WeightsError
		shape    *app.InputShapeError
		runtime  *app.RuntimeNotFoundError
		image    *app.BadImageError
	)
	switch {
	case errors.Is(err, app.ErrNoModel):
		return "" // the App's message says which model file to give
	case errors.As(err, &notStore):
		switch notStore.Problem {
		case app.NoStoreThere, app.NotStoreEmptyDir:
			return "; create a store with vecimg ingest or pass the right --db"
		case app.NotStoreOtherFiles:
			return "; use a new or empty directory for --db"
		}
		return "; use another --db"
	case errors.As(err, &locked):
		return "; wait for it to finish or use another --db"
	case errors.As(err, &mismatch):
		return ": use the store's settings or another --db"
	case errors.As(err, &conflict):
		return ". Keep both with --on-conflict rename (the later one becomes ID~N), or drop one input"
	case errors.As(err, &renamed):
		if renamed.Output {
			return ": merge into a new --db"
		}
		return ": rename that input's id or merge without --on-conflict rename"
	case errors.As(err, &column):
		return "; name it with --" + column.Role + "-column"
	case errors.As(err, &outDir):
		if outDir.File {
			return "; --out names a folder for the Parquet files"
		}
		return "; use a new or empty folder for --out"
	case errors.As(err, &float16):
		return "; export with --vector-type float32"
	case errors.As(err, &weights):
		if weights.Download {
			return fmt.Sprintf("\nIf this machine has no internet, copy %s here and pass --weights /path/to/%s (or set %s=/path/to/%s)",
				weights.File, weights.File, weights.Env, weights.File)
		}
		return fmt.Sprintf("; pass --weights /path/to/%s or set %s", weights.File, weights.Env)
	case errors.As(err, &shape):
		return " (pick the matching --preset)"
	case errors.As(err, &runtime):
		return "\nOr pass that library's path with --ort-lib."
	case errors.As(err, &image) && image.PixelLimit > 0:
		return pixelAdvice
	case errors.Is(err, app.ErrRollback):
		return "; restore the store from a backup, or pass --accept-rollback to use it as it is now (vecimg check lists what it holds)"
	}
	return ""
}

// pixelAdvice follows an image refused for its pixel count.
const pixelAdvice = " (raise with --max-pixels)"

// badFileAdvice is what the user can do about a file ingest skipped, with
// its leading space, or "".
func badFileAdvice(b app.BadFile) string {
	if b.PixelLimit > 0 {
		return pixelAdvice
	}
	return ""
}

// advised is an app.AdvisedError worded with the CLI's flags.
func advised(e *app.AdvisedError) string {
	switch e.Advice {
	case app.AdviseOtherStore:
		return e.Msg + ": use another --db"
	case app.AdviseCalibrationFolder:
		return e.Msg + ": pass --calibrate-from DIR"
	case app.AdviseInt8:
		return "--calibrate and --calibrate-from calibrate an int8 model: add --precision int8"
	case app.AdviseNoCalibration:
		return e.Msg + ": drop --calibrate and --calibrate-from, or use another --db"
	}
	return e.Msg
}
