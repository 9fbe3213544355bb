package sheet

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritePages(t *testing.T) {
	load := func(id string) (image.Image, error) {
		if id == "bad" {
			return nil, errors.New("corrupt jpeg")
		}
		img := image.NewRGBA(image.Rect(0, 0, 90, 60))
		for y := range 60 {
			for x := range 90 {
				img.Set(x, y, color.RGBA{uint8(3 * x), uint8(4 * y), 200, 255})
			}
		}
		return img, nil
	}
	pages := []Page{
		{File: "group_1.png", Heading: "group 1 <near>", Header: "group 1: 3 images", IDs: []string{"a", "b", "bad"},
			Captions: []string{"a\nkeep", "b\nd=0.031", ""}},
		{File: "group_2.png", Heading: "group 2", Header: "group 2: 9 images", IDs: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	}
	dir := filepath.Join(t.TempDir(), "sheets")
	out, err := WritePages(context.Background(), dir, "Near-duplicate groups & more.", pages, load, Options{Cols: 4, Rows: 2, Thumb: 48, Title: "dups"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Files) != 2 || len(out.Unreadable) != 1 || out.Unreadable[0] != "bad" {
		t.Fatalf("sheets = %+v", out)
	}
	for i, want := range []image.Point{{6 + 3*54, 26 + 1*(54+32) + 6}, {6 + 4*54, 26 + 2*(54+32) + 6}} {
		f, err := os.Open(out.Files[i])
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", out.Files[i], err)
		}
		if img.Bounds().Size() != want {
			t.Errorf("%s is %v, want %v (page 1: 3 columns; page 2: 8 of 9 images in 2 rows)", out.Files[i], img.Bounds().Size(), want)
		}
	}
	html, err := os.ReadFile(out.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<title>dups</title>", "Near-duplicate groups &amp; more.", `src="group_2.png"`, "group 1 &lt;near&gt;", "(8 of 9 shown)"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("index.html lacks %q:\n%s", s, html)
		}
	}
	for _, bad := range [][]Page{
		{{File: "../x.png", IDs: []string{"a"}}},
		{{File: "x.png", IDs: []string{"a"}, Captions: []string{"a", "b"}}},
	} {
		if _, err := WritePages(context.Background(), dir, "", bad, load, Options{}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("pages %+v: err = %v, want ErrInvalidOptions", bad, err)
		}
	}
}
