package sheet

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/fsutil"
)

func TestWriteClusters(t *testing.T) {
	var clusters []Cluster
	for l, size := range []int{20, 15, 9} {
		c := Cluster{Label: l, Size: size}
		for m := range 8 {
			c.IDs = append(c.IDs, fmt.Sprintf("c%d_%d", l, m))
		}
		clusters = append(clusters, c)
	}
	broken := clusters[1].IDs[2]
	load := func(id string) (image.Image, error) {
		if id == broken {
			return nil, errors.New("corrupt jpeg")
		}
		img := image.NewRGBA(image.Rect(0, 0, 200, 120))
		for y := range 120 {
			for x := range 200 {
				img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
			}
		}
		return img, nil
	}
	dir := t.TempDir()
	out, err := WriteClusters(context.Background(), dir, clusters, load, Options{Cols: 3, Rows: 2, Thumb: 64, Title: "dev <set>"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Unreadable) != 1 || out.Unreadable[0] != broken {
		t.Errorf("unreadable %v, want [%s]", out.Unreadable, broken)
	}
	html, err := os.ReadFile(out.Index)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "dev &lt;set&gt;") {
		t.Error("title not escaped in index.html")
	}
	for i, path := range out.Files {
		name := filepath.Base(path)
		if !strings.Contains(string(html), `src="`+name+`"`) {
			t.Errorf("index.html does not show %s", name)
		}
		if want := fmt.Sprintf("Cluster %d: %d images", clusters[i].Label, clusters[i].Size); !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// 3 columns of 64 px plus padding; 2 rows (6 of 8 ids shown).
		b := img.Bounds()
		if wantW := pad + 3*(64+pad); b.Dx() != wantW {
			t.Errorf("%s: width %d, want %d", name, b.Dx(), wantW)
		}
		if wantH := header + 2*(64+pad+captionH) + pad; b.Dy() != wantH {
			t.Errorf("%s: height %d, want %d", name, b.Dy(), wantH)
		}
		if i == 1 {
			// The broken image's tile (third tile, first row) is grey.
			x, y := pad+2*(64+pad)+2, header+2
			if r, g, bb, _ := img.At(x, y).RGBA(); r != g || g != bb || r>>8 != 0xa0 {
				t.Errorf("placeholder pixel %v", img.At(x, y))
			}
		}
	}
	if _, err := WriteClusters(context.Background(), dir, clusters, nil, Options{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("nil loader: %v", err)
	}
}

// A second run with fewer clusters leaves no sheet of the first behind, and
// the folder is marked as vecimg's output (issue 21.10).
func TestWriteClustersRemovesStale(t *testing.T) {
	dir := t.TempDir()
	load := func(string) (image.Image, error) { return image.NewRGBA(image.Rect(0, 0, 8, 8)), nil }
	five := make([]Cluster, 5)
	for i := range five {
		five[i] = Cluster{Label: i, Size: 1, IDs: []string{"a"}}
	}
	if _, err := WriteClusters(context.Background(), dir, five, load, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteClusters(context.Background(), dir, five[:2], load, Options{}); err != nil {
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
