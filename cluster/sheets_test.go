package cluster

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
)

func TestWriteSheets(t *testing.T) {
	m := gaussianMixture(21, 90, 8, 3, 4, 1)
	res := fitOrFatal(t, FromSlices(m.ids, m.vecs), Options{K: 3})
	clusters := SheetClusters(res, 8)
	if len(clusters) != 3 {
		t.Fatalf("%d sheet clusters", len(clusters))
	}
	for _, c := range clusters {
		if c.Size != res.Sizes[c.Label] || len(c.IDs) != min(8, c.Size) {
			t.Fatalf("cluster %+v, sizes %v", c, res.Sizes)
		}
	}
	// The first id shown is the member nearest the centre.
	idx := map[string]int{}
	for i, id := range res.IDs {
		idx[id] = i
	}
	for _, c := range clusters {
		first := res.Distances[idx[c.IDs[0]]]
		for i, l := range res.Labels {
			if int(l) == c.Label && res.Distances[i] < first {
				t.Fatalf("cluster %d: %s is not the nearest member", c.Label, c.IDs[0])
			}
		}
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
	out, err := WriteSheets(context.Background(), dir, clusters, load, SheetOptions{Cols: 3, Rows: 2, Thumb: 64, Title: "dev <set>"})
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
		if wantW := sheetPad + 3*(64+sheetPad); b.Dx() != wantW {
			t.Errorf("%s: width %d, want %d", name, b.Dx(), wantW)
		}
		if wantH := sheetHeader + 2*(64+sheetPad+sheetCaption) + sheetPad; b.Dy() != wantH {
			t.Errorf("%s: height %d, want %d", name, b.Dy(), wantH)
		}
		if i == 1 {
			// The broken image's tile (third tile, first row) is grey.
			x, y := sheetPad+2*(64+sheetPad)+2, sheetHeader+2
			if r, g, bb, _ := img.At(x, y).RGBA(); r != g || g != bb || r>>8 != 0xa0 {
				t.Errorf("placeholder pixel %v", img.At(x, y))
			}
		}
	}
	if _, err := WriteSheets(context.Background(), dir, clusters, nil, SheetOptions{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("nil loader: %v", err)
	}
}
