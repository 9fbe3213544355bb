// Package cli is vecimg's command line (urfave/cli/v2), a thin front end on
// internal/app: each command (one file, cmd_<name>.go) turns its flags into
// an app options struct, makes one call on an app.App opened for that
// command, and prints the result with one printer — a table or line for
// people, or the result struct as JSON with --json (emit, output.go).
// Progress goes to the app's error writer (a bar on a terminal, plain lines
// otherwise; progress.go).
//
// Run (not urfave's RunContext) lets flags follow positional arguments and
// global flags (--db, --ort-lib) follow the command name, with "--" ending
// the flags (args.go).
//
// No store/embed/index adapters or business logic live here; they are in
// internal/app. The package must not import onnxruntime_go (cgo stays in
// package embed) and never exits the process: errors go back to main, which
// maps them to exit codes (ErrUsage, ErrBadFiles, ErrBusy, ErrCheck).
// The libraries and the App state facts in typed errors; the CLI alone
// words what to do about them with its flags (wordError, errors.go), once,
// as Run returns; the App's option names become flags there (optionFlag).
package cli
