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

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1 // the command failed, or check found problems
	exitUsage    = 2 // bad flags or arguments
	exitBadFiles = 3 // --strict and some input files were bad
	exitBusy     = 4 // the store is in use by another process
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
	fmt.Fprintln(os.Stderr, "vecimg:", err)
	switch {
	case errors.Is(err, cli.ErrUsage):
		return exitUsage
	case errors.Is(err, cli.ErrBadFiles):
		return exitBadFiles
	case errors.Is(err, cli.ErrBusy):
		return exitBusy
	case errors.Is(err, context.Canceled):
		return 130
	}
	return exitError
}
