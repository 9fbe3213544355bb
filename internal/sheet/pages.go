package sheet

import (
	"context"
	"fmt"
	"html/template"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// Page is one contact sheet of any list of images (a duplicate group, a
// page of outliers): WritePages draws Header over a grid of the
// images and writes it as File. Captions, when set, hold one or two lines
// per image (separated by "\n") drawn under its thumbnail instead of its id.
type Page struct {
	File     string   // PNG file name inside the directory, e.g. "group_0001.png"
	Heading  string   // section heading in index.html
	Header   string   // text line drawn above the grid
	IDs      []string // images, in display order
	Captions []string // optional, len(IDs); "" falls back to the id
}

// WritePages writes one PNG per page into dir (created if needed) and
// an index.html titled opts.Title with intro as its first paragraph. Images
// are loaded with load and fitted as in WriteClusters; at most Cols×Rows
// images of a page are drawn, and images that fail to load become grey
// "unreadable" tiles listed in Output.Unreadable.
func WritePages(ctx context.Context, dir, intro string, pages []Page, load Loader, opts Options) (*Output, error) {
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
	out := &Output{Index: filepath.Join(dir, "index.html")}
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

var pagesTemplate = template.Must(template.New("pages").Parse(htmlHead + `<p>{{.Intro}}</p>
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
` + htmlTail))

// drawPage renders one page and returns the ids that failed to load.
func drawPage(p Page, load Loader, o Options) (*image.RGBA, []string) {
	ids := p.IDs[:min(len(p.IDs), o.Cols*o.Rows)]
	return drawGrid(p.Header, ids, 2, true, func(t int) (string, string) {
		if p.Captions == nil || p.Captions[t] == "" {
			return ids[t], ""
		}
		line1, line2, _ := strings.Cut(p.Captions[t], "\n")
		return line1, line2
	}, load, o)
}
