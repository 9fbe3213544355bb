package cli

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
)

// The App names its options bare (issue 17.4); the CLI words each with its
// flag, so the messages read as they always did. None of these needs a store:
// options are checked first.
func TestOptionErrorsNameFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"outliers", "-n", "0", "--k", "5"}, "-n and --k must be positive (got 0, 5)"},
		{[]string{"dups", "--keep", "bogus"}, `--keep "bogus": use largest, oldest, newest or under=PATH`},
		{[]string{"cluster", "--template", db}, "--template needs --export FILE (the CSV the template's rows go to)"},
		{[]string{"similar", "--ef", "-1", "x"}, "--ef must not be negative (got -1)"},
		{[]string{"cluster", "--k", "3", "--export", "/nonexistent-k17e/a.csv"}, "--export /nonexistent-k17e/a.csv: folder /nonexistent-k17e does not exist; create it first"},
		{[]string{"ingest", "--weights", "/x/m.onnx", t.TempDir()}, "--weights /x/m.onnx is an ONNX model: pass it with --model (--weights takes torchvision VGG16 weights, .pth)"},
		{[]string{"import", db}, "import needs --model-name NAME: the model that made the vectors (it is recorded in the store)"},
		{[]string{"merge", "--on-conflict", "x", db}, `--on-conflict "x": use refuse or rename`},
	}
	for _, c := range cases {
		_, err := run(t, append([]string{"--db", db}, c.args...)...)
		if err == nil || err.Error() != c.want || !errors.Is(err, ErrUsage) {
			t.Errorf("vecimg %v:\n got %v\nwant %s (a usage error)", c.args, err, c.want)
		}
	}
}

// The App's advice about the store names its option; the CLI says --db.
func TestNoStoreAdviceNamesDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	_, err := run(t, "--db", db, "similar", "x")
	want := "no store at " + db + ": run `vecimg ingest DIR` (or `vecimg import FILE.npz`) first, or pass --db PATH"
	if err == nil || err.Error() != want || !errors.Is(err, app.ErrNoStore) {
		t.Errorf("got %v\nwant %s (app.ErrNoStore)", err, want)
	}
}
