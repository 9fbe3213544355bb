package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/cli"
	"github.com/vecimg/vecimg/store"
)

// TestExitCodes runs commands in-process and maps their errors as main does.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	npz := "internal/npz/testdata/good.npz"
	code := func(args ...string) int {
		a := cli.App()
		a.Writer, a.ErrWriter = &bytes.Buffer{}, &bytes.Buffer{}
		return exitCode(cli.Run(context.Background(), a, append([]string{"vecimg", "--db", db}, args...)))
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"info"}, exitError},        // no store yet
		{[]string{"import", npz}, exitUsage}, // --model-name missing
		{[]string{"import", "internal/npz/testdata/nan.npz", "--model-name", "m"}, exitUsage}, // bad file
		{[]string{"import", npz, "--model-name", "m", "-q"}, exitOK},
		{[]string{"similar", "a", "-k", "2"}, exitOK},
		{[]string{"similar", "-k", "0", "a"}, exitUsage},
		{[]string{"similar", "nothing-like-this"}, exitError},
		{[]string{"similar", "testdata/images/1.png"}, exitError}, // imported: no model
		{[]string{"cluster", "--k", "99"}, exitUsage},
		{[]string{"cluster", "--nope"}, exitUsage},
		{[]string{"nosuchcommand"}, exitUsage},
		{[]string{"check"}, exitOK},
	} {
		if got := code(tc.args...); got != tc.want {
			t.Errorf("%v: exit %d, want %d", tc.args, got, tc.want)
		}
	}
	os.WriteFile(db+".hnsw", []byte("not an index"), 0o644)
	if got := code("check"); got != exitError {
		t.Errorf("check with a damaged index: exit %d, want %d", got, exitError)
	}
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := code("info"); got != exitBusy {
		t.Errorf("info while the store is held: exit %d, want %d", got, exitBusy)
	}
}
