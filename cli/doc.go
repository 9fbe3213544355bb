// Package cli wires vecimg's commands (urfave/cli/v2): flags become an options
// struct, each command makes one library call (embed, store, index, cluster)
// and prints the result as a table for people or as JSON with --json.
//
// It is thin on purpose: no algorithm lives here. It must not import
// onnxruntime_go (cgo stays in package embed) and never exits the process:
// errors go back to main, which maps them to exit codes (ErrUsage, ErrBadFiles,
// ErrBusy).
package cli
