package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/app"
)

// An interrupted ingest with --json still prints its counts (what was kept),
// and the error reads as a sentence, without Go's "context canceled" (21.1).
func TestInterruptedIngestJSON(t *testing.T) {
	needRuntime(t)
	dir := t.TempDir()
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(imgs, 0o755)
	writeNoisePNGs(t, imgs, 6, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := App()
	var out, errOut strings.Builder
	a.Writer, a.ErrWriter = &out, &errOut
	err := Run(ctx, a, []string{"vecimg", "--db", filepath.Join(dir, "s.db"), "ingest", "--json", "--weights", testWeights, imgs})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v, want an interruption worded for people", err)
	}
	res := decodeJSON[app.IngestResult](t, out.String())
	if !res.Interrupted || res.Total != 6 {
		t.Fatalf("JSON of an interrupted ingest: %s", out.String())
	}
}
