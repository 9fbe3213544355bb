package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testWeights is the tiny VGG16-shaped fixture (32× narrower, same keys)
// and testLegacyWeights the same in torch's legacy format (another hash).
// They are the only files the cli tests read from another package's
// testdata (1 MB each; made by scripts/make_model_fixtures.py); the rest
// is in cli/testdata (scripts/cli_testdata.sh).
var (
	testWeights, _       = filepath.Abs("../embed/vgg/testdata/vgg16_w32_zip.pth")
	testLegacyWeights, _ = filepath.Abs("../embed/vgg/testdata/vgg16_w32_legacy.pth")
)

// run runs the app in-process and returns what it wrote to stdout.
func run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := App()
	app.Writer, app.ErrWriter = &out, &errOut
	err := Run(context.Background(), app, append([]string{"vecimg"}, args...))
	return out.String(), err
}

func mustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("vecimg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func decodeJSON[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

// hasRow reports whether text holds a line whose fields are exactly cells.
func hasRow(text string, cells ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.Join(strings.Fields(line), "\x00") == strings.Join(cells, "\x00") {
			return true
		}
	}
	return false
}

// runBoth runs the app in-process and returns stdout and stderr.
func runBoth(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := App()
	a.Writer, a.ErrWriter = &out, &errOut
	err = Run(context.Background(), a, append([]string{"vecimg"}, args...))
	return out.String(), errOut.String(), err
}
