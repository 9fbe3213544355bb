package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vecimg/vecimg/embed"
)

// --help and its neighbours tell the truth once (issue 21, polish): no
// doubled or empty defaults, `vecimg help`, "did you mean", --version with
// the ONNX Runtime version.
func TestHelpPolish(t *testing.T) {
	for _, cmd := range commands() {
		out := mustRun(t, cmd.Name, "--help")
		for _, l := range strings.Split(out, "\n") {
			if strings.Count(l, "(default") > 1 || strings.Contains(l, "(default: false)") {
				t.Errorf("%s --help: %q", cmd.Name, strings.TrimSpace(l))
			}
		}
	}
	if out := mustRun(t, "help"); !strings.Contains(out, "COMMANDS") {
		t.Errorf("vecimg help:\n%s", out)
	}
	if out := mustRun(t, "help", "similar"); !strings.Contains(out, "vecimg similar") {
		t.Errorf("vecimg help similar:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"simlar", "x"}, `did you mean "similar"?`},
		{[]string{"similar", "--kk", "3", "x"}, "did you mean -k?"},
		{[]string{"cluster", "--refin", "3"}, "did you mean --refine?"},
	} {
		_, err := run(t, c.args...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	if out := mustRun(t, "--version"); !strings.Contains(out, "ONNX Runtime "+embed.ORTVersion) {
		t.Errorf("--version: %q", out)
	}
}

// A stage shorter than a second shows nothing; a longer one shows lines
// with a rate, never a rate of a blink (issue 21, polish).
func TestProgressOnlyOnLongStages(t *testing.T) {
	var buf strings.Builder
	clock := time.Unix(1000, 0)
	p := &progress{w: &buf, every: 5 * time.Second, min: time.Second, now: func() time.Time { return clock }}
	p.Start("saving", "file", 1)
	clock = clock.Add(10 * time.Millisecond)
	p.Add(1)
	p.Done()
	if buf.String() != "" {
		t.Fatalf("a 10 ms stage printed %q", buf.String())
	}
	p.Start("ingest", "img", 100)
	clock = clock.Add(500 * time.Millisecond)
	p.Add(10)
	clock = clock.Add(1500 * time.Millisecond)
	p.Add(10)
	p.Done()
	if got := buf.String(); got != "ingest: 20/100 (10.0 img/s, ETA 8s)\n" {
		t.Fatalf("a 2 s stage printed %q", got)
	}
}
