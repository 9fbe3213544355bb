// Command vecimg computes image feature vectors (VGG16 fc6), keeps them in an
// embedded store, finds similar images and clusters them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vecimg/vecimg/cli"
)

// Exit codes: the table "Exit status" in README.md (main_test.go checks
// that the two agree and runs a refusal of each kind).
const (
	exitOK          = 0
	exitError       = 1   // the command failed, or check found problems
	exitUsage       = 2   // usage or bad input (cli.IsBadInput)
	exitBadFiles    = 3   // --strict and some input files were bad
	exitBusy        = 4   // another vecimg process writes the store
	exitInterrupted = 130 // Ctrl-C or SIGTERM; committed work is kept
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.App(), os.Args)
	stop()
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "vecimg:", cli.ErrorText(err))
	switch {
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case cli.IsBadInput(err):
		return exitUsage
	case errors.Is(err, cli.ErrBadFiles):
		return exitBadFiles
	case errors.Is(err, cli.ErrBusy):
		return exitBusy
	}
	return exitError
}
