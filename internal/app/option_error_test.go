package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/store"
)

// An OptionError names options bare, and each front end words them.
func TestOptionErrorWording(t *testing.T) {
	err := optInvalidf("{k}, {max-k} and {sheets-max} must not be negative (got %q)", "{x}")
	if got, want := err.Error(), `k, max-k and sheets-max must not be negative (got "{x}")`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatal("an optInvalidf error does not match ErrInvalid")
	}
	var oe *OptionError
	if !errors.As(err, &oe) {
		t.Fatal("not an *OptionError")
	}
	flag := func(o string) string { return "--" + o }
	if got, want := oe.Word(flag), `--k, --max-k and --sheets-max must not be negative (got "{x}")`; got != want {
		t.Fatalf("Word = %q, want %q", got, want)
	}
	if got := fmt.Sprint(oe.Options()); got != "[k max-k sheets-max]" {
		t.Fatalf("Options = %s", got)
	}
	// An option passed as an argument (opt) is worded as well, and the
	// cause and kind stay reachable.
	cause := errors.New("disk full")
	e2 := optErr(store.ErrReadOnly, cause, "%s %s: %v", opt("move-to"), "/tmp/x", cause)
	if got := e2.Word(flag); got != "--move-to /tmp/x: disk full" {
		t.Fatalf("Word = %q", got)
	}
	if !errors.Is(e2, store.ErrReadOnly) || !errors.Is(e2, cause) || errors.Is(e2, ErrInvalid) {
		t.Fatal("kind or cause lost")
	}
}

// The server words the App's options as its API names them: a query
// parameter where it has one, else the server's setting; never a flag.
func TestWrapWordsOptionsForTheAPI(t *testing.T) {
	err := wrap(paramErr("threshold", 3, "is not a cosine distance: use a value in [0, 2] (default %v)", 0.004))
	if got, want := err.Error(), "threshold=3 is not a cosine distance: use a value in [0, 2] (default 0.004)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	err = wrap(fmt.Errorf("a.jpg is not in the store, and embedding it needs the store's model: %w",
		optErr(ErrNoModel, nil, "its weights were not found: pass {weights} /path/to/%s", "vgg16.pth")))
	want := "a.jpg is not in the store, and embedding it needs the store's model: its weights were not found: pass the server's weights setting /path/to/vgg16.pth"
	if got := err.Error(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if strings.Contains(err.Error(), "--") {
		t.Fatalf("a flag in the API's wording: %q", err)
	}
	if !errors.Is(err, ErrNoModel) {
		t.Fatal("wrap lost the kind")
	}
}
