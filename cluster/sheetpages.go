package cluster

import (
	"context"
	"fmt"
	"html/template"
	"image"
	"image/draw"
	"io"
	"os"
	"path/filepath"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// SheetPage is one contact sheet of any list of images (a duplicate group,
// a page of outliers): WriteSheetPages draws Header over a grid of the
// images and writes it as File. Captions, when set, hold one or two lines
// per image (separated by "\n") drawn under its thumbnail instead of its id.
type SheetPage struct {
	File     string   // PNG file name inside the directory, e.g. "group_0001.png"
	Heading  string   // section heading in index.html
	Header   string   // text line drawn above the grid
	IDs      []string // images, in display order
	Captions []string // optional, len(IDs); "" falls back to the id
}

// WriteSheetPages writes one PNG per page into dir (created if needed) and
// an index.html titled opts.Title with intro as its first paragraph. Images
// are loaded with load and fitted as in WriteSheets; at most Cols×Rows
// images of a page are drawn, and images that fail to load become grey
// "unreadable" tiles listed in Sheets.Unreadable.
func WriteSheetPages(ctx context.Context, dir, intro string, pages []SheetPage, load func(id string) (image.Image, error), opts SheetOptions) (*Sheets, error) {
	opts, err := opts.withDefaults("vecimg", load)
	if err != nil {
		return nil, err
	}
	for i, p := range pages {
		if p.File == "" || filepath.Base(p.File) != p.File {
			return nil, fmt.Errorf("%w: page %d: file name %q must be a plain name inside the directory", ErrInvalidOptions, i, p.File)
		}
		if p.Captions != nil && len(p.Captions) != len(p.IDs) {
			return nil, fmt.Errorf("%w: page %s: %d captions for %d images", ErrInvalidOptions, p.File, len(p.Captions), len(p.IDs))
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating sheet directory: %w", err)
	}
	out := &Sheets{Index: filepath.Join(dir, "index.html")}
	type entry struct {
		Anchor, Heading, File string
		Shown, Size           int
	}
	entries := make([]entry, 0, len(pages))
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img, bad := drawPage(p, load, opts)
		out.Unreadable = append(out.Unreadable, bad...)
		path := filepath.Join(dir, p.File)
		if err := writePNG(path, img); err != nil {
			return nil, err
		}
		out.Files = append(out.Files, path)
		entries = append(entries, entry{Anchor: fmt.Sprintf("p%d", i+1), Heading: p.Heading, File: p.File,
			Shown: min(len(p.IDs), opts.Cols*opts.Rows), Size: len(p.IDs)})
	}
	err = fsutil.WriteFileAtomic(out.Index, func(w io.Writer) error {
		return pagesTemplate.Execute(w, struct {
			Title, Intro string
			Pages        []entry
		}{opts.Title, intro, entries})
	})
	if err != nil {
		return nil, fmt.Errorf("writing sheet index: %w", err)
	}
	if opts.Stale != "" {
		if err := finishOutput(dir, opts.Stale, out.Files); err != nil {
			return nil, err
		}
	} else if err := fsutil.MarkOutput(dir); err != nil {
		return nil, err
	}
	return out, nil
}

var pagesTemplate = template.Must(template.New("pages").Parse(sheetHTMLHead + `<p>{{.Intro}}</p>
<ul>
{{- range .Pages}}
<li><a href="#{{.Anchor}}">{{.Heading}}</a></li>
{{- end}}
</ul>
{{- range .Pages}}
<section id="{{.Anchor}}">
<h2>{{.Heading}}{{if lt .Shown .Size}} ({{.Shown}} of {{.Size}} shown){{end}}</h2>
<img src="{{.File}}" alt="{{.Heading}}">
</section>
{{- end}}
</body>
</html>
`))

// drawPage renders one page and returns the ids that failed to load.
func drawPage(p SheetPage, load func(string) (image.Image, error), o SheetOptions) (*image.RGBA, []string) {
	ids := p.IDs[:min(len(p.IDs), o.Cols*o.Rows)]
	cols := max(min(o.Cols, len(ids)), 1)
	rows := max((len(ids)+o.Cols-1)/o.Cols, 1)
	cell := o.Thumb + sheetPad
	capH := 2 * sheetCaption
	w := max(sheetPad+cols*cell, min(7*len(p.Header)+2*sheetPad, sheetPad+o.Cols*cell))
	h := sheetHeader + rows*(cell+capH) + sheetPad
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(sheetBackground), image.Point{}, draw.Src)
	drawText(img, p.Header, sheetPad, 18, w-2*sheetPad)

	thumbs, failed := loadThumbs(ids, load, o)
	var bad []string
	for t, id := range ids {
		x := sheetPad + (t%o.Cols)*cell
		y := sheetHeader + (t/o.Cols)*(cell+capH)
		if failed[t] {
			bad = append(bad, id)
		}
		drawTile(img, x, y, thumbs[t], o)
		line1, line2 := id, ""
		if p.Captions != nil && p.Captions[t] != "" {
			line1 = p.Captions[t]
			for i := range len(line1) {
				if line1[i] == '\n' {
					line1, line2 = line1[:i], line1[i+1:]
					break
				}
			}
		}
		drawText(img, line1, x, y+o.Thumb+12, o.Thumb)
		if line2 != "" {
			drawText(img, line2, x, y+o.Thumb+12+sheetCaption-2, o.Thumb)
		}
	}
	return img, bad
}
