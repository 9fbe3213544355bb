package cluster

import (
	"context"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// A template naming an id twice, or with a header and no rows, is refused
// (issue 21.7): each would write a submission that cannot be right.
func TestWriteSubmissionRefusesBadTemplates(t *testing.T) {
	ids, labels := []string{"1", "2"}, []int32{0, 1}
	for name, tmpl := range map[string]string{
		"twice":       "ImageID,label\n1,\n2,\n1,\n",
		"header only": "ImageID,label\n",
	} {
		err := WriteSubmission(io.Discard, ids, labels, strings.NewReader(tmpl))
		if !errors.Is(err, ErrTemplate) {
			t.Errorf("%s: %v, want ErrTemplate", name, err)
		}
	}
}

// A second run with fewer clusters leaves no sheet of the first behind, and
// the folder is marked as vecimg's output (issue 21.10).
func TestWriteSheetsRemovesStale(t *testing.T) {
	dir := t.TempDir()
	load := func(string) (image.Image, error) { return image.NewRGBA(image.Rect(0, 0, 8, 8)), nil }
	five := make([]SheetCluster, 5)
	for i := range five {
		five[i] = SheetCluster{Label: i, Size: 1, IDs: []string{"a"}}
	}
	if _, err := WriteSheets(context.Background(), dir, five, load, SheetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteSheets(context.Background(), dir, five[:2], load, SheetOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := filepath.Glob(filepath.Join(dir, "cluster_*.png"))
	if len(got) != 2 {
		t.Errorf("after a run with 2 clusters: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, fsutil.OutputMarker)); err != nil {
		t.Errorf("no output marker: %v", err)
	}
}
