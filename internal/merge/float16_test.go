package merge

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/internal/parquetio"
	"github.com/vecimg/vecimg/store"
)

// A float16 export holds rounded vectors: merging it into a store whose
// manifest says the model's float32 output is refused (issue 21.12).
func TestMergeFloat16ParquetRefused(t *testing.T) {
	src, err := store.Open(makeStore(t, manifest(), rec("1", "one"), rec("2", "two")), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(t.TempDir(), "pq16")
	if _, err := parquetio.ExportStore(context.Background(), src, pq, parquetio.WriterOptions{VectorType: parquetio.Float16}, nil); err != nil {
		t.Fatal(err)
	}
	src.Close()
	if s, err := Open(pq); !errors.Is(err, store.ErrManifestMismatch) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("float16 input: %v, want a refusal", err)
	}
}
