package app

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/embed/preprocess"
	"github.com/vecimg/vecimg/internal/merge"
	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/store"
)

// Sentinel errors that front ends map to exit codes or HTTP statuses. The
// errors returned by App methods wrap one of them where it applies.
var (
	// ErrInvalid: the options or arguments are wrong (a usage mistake).
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound: a query names no stored image and no readable image file.
	ErrNotFound = errors.New("not found")
	// ErrNoStore: there is no store at Config.DB (and the operation does not
	// create one).
	ErrNoStore = errors.New("no store")
	// ErrBusy: another process holds the store.
	ErrBusy = errors.New("store busy")
	// ErrNoModel: the store's model is not available to embed an image
	// (an imported store has none; or its weights or ONNX file are missing).
	ErrNoModel = errors.New("model not available")
	// ErrNoImages: an ingest into a store not yet made found no image file
	// in its folder; nothing was created.
	ErrNoImages = errors.New("no images")
	// ErrInterrupted: the operation was stopped (ctx ended); what was
	// committed is kept. Such errors also match context.Canceled.
	ErrInterrupted = errors.New("interrupted")
	// ErrCheckFailed: Check found problems (the result lists them).
	ErrCheckFailed = errors.New("check found problems")
	// ErrRollback: the store holds less than when it was last written
	// (store.ErrRollback; the error is a *store.RollbackError).
	ErrRollback = store.ErrRollback
)

// The libraries' typed errors that reach a front end as they are: each
// states the facts (which store, which file, what is wrong), and the front
// end words what the user can do about it (a flag, an HTTP parameter).
type (
	// NotStoreError: the --db path is not a store (store.NotStoreError).
	NotStoreError = store.NotStoreError
	// LockedError: another process holds the store (store.LockedError;
	// the error also matches ErrBusy).
	LockedError = store.LockedError
	// MismatchError: the store was made with another model, preset or
	// dimension (store.MismatchError).
	MismatchError = store.MismatchError
	// FieldMismatch is one field of a MismatchError.
	FieldMismatch = store.FieldMismatch
	// ConflictError: a merge refused ids with different content in two
	// places (merge.ConflictError).
	ConflictError = merge.ConflictError
	// RenameError: a merge's renamed id is taken (merge.RenameError).
	RenameError = merge.RenameError
	// ColumnError: a Parquet file lacks the id or vector column asked for
	// (parquetio.ColumnError).
	ColumnError = parquetio.ColumnError
	// OutDirError: a Parquet export's folder is a file or holds other files
	// (parquetio.OutDirError).
	OutDirError = parquetio.OutDirError
	// Float16RangeError: a value a float16 export cannot hold
	// (parquetio.Float16RangeError).
	Float16RangeError = parquetio.Float16RangeError
	// WeightsError: no VGG16 weights found, or their download failed
	// (embed.WeightsError).
	WeightsError = embed.WeightsError
	// InputShapeError: an ONNX model does not take the preset's images
	// (embed.InputShapeError).
	InputShapeError = embed.InputShapeError
	// RuntimeNotFoundError: no ONNX Runtime library where it was looked for
	// (embed.RuntimeNotFoundError).
	RuntimeNotFoundError = embed.RuntimeNotFoundError
	// BadImageError: an image file that cannot be turned into pixels
	// (preprocess.BadImageError; PixelLimit says when the pixel limit
	// refused it).
	BadImageError = preprocess.BadImageError
)

// The problems a NotStoreError names (store.NotStoreProblem).
const (
	NoStoreThere        = store.NoStoreThere
	NotStoreFile        = store.NotStoreFile
	NotStoreEmptyDir    = store.NotStoreEmptyDir
	NotStoreOtherFiles  = store.NotStoreOtherFiles
	NotStoreOtherBadger = store.NotStoreOtherBadger
)

// invalidf returns an ErrInvalid error with a message.
func invalidf(format string, a ...any) error {
	return &msgError{msg: fmt.Sprintf(format, a...), kind: ErrInvalid}
}

// msgError is an error with its own message that matches kind.
type msgError struct {
	msg   string
	kind  error
	cause error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Is(t error) bool {
	return t == e.kind
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
func (e *msgError) Unwrap() error { return e.cause }

// busy turns a store lock conflict into ErrBusy, keeping the store's
// LockedError (its message, and its facts for the front end's advice) —
// unless `vecimg serve` holds the store: then the message says so, and
// what to do, itself.
func busy(err error) error {
	if errors.Is(err, store.ErrLocked) {
		if m := servedBusy(err); m != "" { // servelock.go
			return &msgError{msg: m, kind: ErrBusy}
		}
		return &msgError{msg: err.Error(), kind: ErrBusy, cause: err}
	}
	return err
}

// badInput are the errors that mean the request itself cannot be done as
// given: wrong options or arguments, a name that matches nothing stored, an
// input file that is unusable, or inputs that contradict the store (another
// model, preset or dimension). Front ends report them as the user's to fix
// (exit status 2, HTTP 4xx).
var badInput = []error{ErrInvalid, ErrNotFound, ErrNoImages, store.ErrManifestMismatch, store.ErrInvalid,
	parquetio.ErrBadInput, embed.ErrModel, merge.ErrConflict, cluster.ErrTemplate}

// IsBadInput reports whether err is one of the bad-input errors above.
func IsBadInput(err error) bool {
	for _, k := range badInput {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// Advice names what would make a refused request work, for a front end to
// word in its own terms (the CLI's flags, an API's parameters).
type Advice int

const (
	// AdviseOtherStore: use another store (Config.DB) for these settings.
	AdviseOtherStore Advice = iota + 1
	// AdviseCalibrationFolder: give a folder of calibration images
	// (ModelOptions.CalibrateFrom).
	AdviseCalibrationFolder
	// AdviseInt8: calibration options need precision int8
	// (ModelOptions.Precision).
	AdviseInt8
	// AdviseNoCalibration: leave the calibration options out, or use
	// another store.
	AdviseNoCalibration
)

// AdvisedError is a refused request: Msg states the facts, Advice names
// what would make it work. It matches Kind.
type AdvisedError struct {
	Msg    string
	Advice Advice
	Kind   error
}

func (e *AdvisedError) Error() string   { return e.Msg }
func (e *AdvisedError) Is(t error) bool { return t == e.Kind }

// ParamError is a bad value of one option, named as the App names it
// (Param: "k", "threshold"); it matches ErrInvalid. Front ends word it with
// their own name for the option (the CLI's --k, the API's k=).
type ParamError struct {
	Param   string // the option (the field of the options struct, lower case)
	Value   string // the value given
	Problem string // what is wrong, as the rest of a sentence: "is more than the 50 stored images"
}

func (e *ParamError) Error() string   { return e.Param + " " + e.Value + " " + e.Problem }
func (e *ParamError) Is(t error) bool { return t == ErrInvalid }

// OptionError is an error whose message names options of the App (the
// same lower-case names as ParamError.Param: "threshold", "move-to", "db"),
// for each front end to word with its own names for them (the CLI's
// --move-to, the API's threshold=). Error() names them bare. It matches
// Kind when Kind is set and unwraps to the cause, when there is one.
type OptionError struct {
	msg  string // the message, each option marked optStart name optEnd
	Kind error
	Err  error
}

// The marks around an option's name in OptionError.msg.
const (
	optStart = '\x01'
	optEnd   = '\x02'
)

func (e *OptionError) Error() string { return e.Word(func(o string) string { return o }) }
func (e *OptionError) Is(t error) bool {
	return e.Kind != nil && t == e.Kind
}
func (e *OptionError) Unwrap() error { return e.Err }

// Word is the message with each option named by name(option).
func (e *OptionError) Word(name func(option string) string) string {
	var b strings.Builder
	rest := e.msg
	for {
		i := strings.IndexRune(rest, optStart)
		j := strings.IndexRune(rest, optEnd)
		if i < 0 || j < i {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		b.WriteString(name(rest[i+1 : j]))
		rest = rest[j+1:]
	}
}

// Options are the options the message names, in order.
func (e *OptionError) Options() []string {
	var out []string
	e.Word(func(o string) string { out = append(out, o); return o })
	return out
}

// optErr is an OptionError formatted as fmt.Sprintf(format, a...), where
// format marks each option as {name} (lower case, digits and hyphens).
func optErr(kind, cause error, format string, a ...any) *OptionError {
	return &OptionError{msg: fmt.Sprintf(optMark.ReplaceAllString(format, "\x01$1\x02"), a...), Kind: kind, Err: cause}
}

var optMark = regexp.MustCompile(`\{([a-z][a-z0-9-]*)\}`)

// opt marks an option's name for an OptionError's message, where it is an
// argument rather than in the format: optErr(k, nil, "%s: …", opt("out")).
func opt(name string) string { return string(optStart) + name + string(optEnd) }

// optInvalidf is an OptionError that matches ErrInvalid.
func optInvalidf(format string, a ...any) error { return optErr(ErrInvalid, nil, format, a...) }

func paramErr(param string, value any, format string, a ...any) error {
	return &ParamError{Param: param, Value: fmt.Sprint(value), Problem: fmt.Sprintf(format, a...)}
}
