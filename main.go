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
	"time"

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

// interruptGrace is how long a command may take, after Ctrl-C or SIGTERM,
// to finish what it is committing and close the store (serve drains its
// requests for up to 10 s and saves the index) before the process
// exits anyway (status 130): badger's close has been seen to hang on a
// damaged value log. Every batch is one transaction, so an exit here keeps
// what was committed, as a kill does. A second signal exits at once.
var interruptGrace = 30 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		select {
		case <-sigs:
		case <-time.After(interruptGrace):
		}
		fmt.Fprintln(os.Stderr, "vecimg: interrupted; stopped without waiting for the store to close (what was committed is kept)")
		os.Exit(exitInterrupted)
	}()
	os.Exit(exitCode(cli.Run(ctx, cli.App(), os.Args)))
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
