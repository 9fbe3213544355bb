package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vecimg/vecimg/cli"
	"github.com/vecimg/vecimg/internal/testhook"
)

// The test binary runs main with these arguments (separated by \x1f)
// instead of the tests when childArgs is set; childHang says where it
// blocks for good: "close" (badger's close) or "check:ID" (check's read
// of a record). It writes "blocked" to stderr when it does.
const (
	childArgs = "VECIMG_TEST_MAIN_ARGS"
	childHang = "VECIMG_TEST_MAIN_HANG"
)

func TestMain(m *testing.M) {
	if a := os.Getenv(childArgs); a != "" {
		hang := os.Getenv(childHang)
		block := func() { fmt.Fprintln(os.Stderr, "blocked"); select {} }
		switch {
		case hang == "close":
			interruptGrace = 100 * time.Millisecond
			testhook.SetBadgerClose(block)
		case strings.HasPrefix(hang, "check:"):
			interruptGrace = time.Hour // the check itself must end on the signal
			id := strings.TrimPrefix(hang, "check:")
			testhook.SetCheckStep(func(stage, name string) {
				if stage == "record" && name == id {
					block()
				}
			})
		}
		os.Args = append([]string{"vecimg"}, strings.Split(a, "\x1f")...)
		main()
	}
	os.Exit(m.Run())
}

// TestSignalEndsHungCommand: SIGTERM ends the process with status 130
// while badger's close hangs (after the grace period) and while check's
// read of a record hangs (at once, through the context).
func TestSignalEndsHungCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	a := cli.App()
	a.Writer, a.ErrWriter = &bytes.Buffer{}, &bytes.Buffer{}
	if err := cli.Run(context.Background(), a, []string{"vecimg", "--db", db, "import", "-q", "--model-name", "m", "internal/npz/testdata/good.npz"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ hang, args string }{
		{"close", "--db\x1f" + db + "\x1finfo"},
		{"check:a", "--db\x1f" + db + "\x1fcheck"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childArgs+"="+tc.args, childHang+"="+tc.hang)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		var rest strings.Builder
		blocked := false
		for sc.Scan() {
			if sc.Text() == "blocked" {
				blocked = true
				break
			}
			rest.WriteString(sc.Text() + "\n")
		}
		if !blocked {
			cmd.Wait()
			t.Fatalf("%s: the child never blocked:\n%s", tc.hang, rest.String())
		}
		cmd.Process.Signal(syscall.SIGTERM)
		for sc.Scan() {
			rest.WriteString(sc.Text() + "\n")
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
			t.Errorf("%s: SIGTERM while blocked: %v, want exit status %d\n%s", tc.hang, err, exitInterrupted, rest.String())
		}
	}
}
