package cluster

import (
	"cmp"
	"context"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// Contact-sheet defaults.
const (
	DefaultSheetCols  = 6
	DefaultSheetRows  = 6
	DefaultSheetThumb = 128
	DefaultSheetTitle = "vecimg clusters"
)

// SheetCluster is one cluster to draw: its label, its size and the ids of
// the images to show, in display order.
type SheetCluster struct {
	Label int
	Size  int
	IDs   []string
	// Distances, when set, holds each shown image's distance to the
	// cluster centre (len(IDs)); the captions then show it before the id.
	Distances []float32
}

// SheetClusters lists, for every cluster of res, up to n member ids ordered
// by distance to the centre (nearest first, ties in NaturalLess order).
func SheetClusters(res *Result, n int) []SheetCluster {
	members := make([][]int, res.K)
	for i, l := range res.Labels {
		members[l] = append(members[l], i)
	}
	out := make([]SheetCluster, res.K)
	for l, idx := range members {
		slices.SortFunc(idx, func(a, b int) int {
			if c := cmp.Compare(res.Distances[a], res.Distances[b]); c != 0 {
				return c
			}
			return NaturalCompare(res.IDs[a], res.IDs[b])
		})
		ids := make([]string, 0, min(n, len(idx)))
		dists := make([]float32, 0, min(n, len(idx)))
		for _, i := range idx[:min(n, len(idx))] {
			ids = append(ids, res.IDs[i])
			dists = append(dists, res.Distances[i])
		}
		out[l] = SheetCluster{Label: l, Size: len(idx), IDs: ids, Distances: dists}
	}
	return out
}

// SheetOptions configures WriteSheets. Zero fields take the defaults.
type SheetOptions struct {
	Cols    int    // thumbnails per row (default 6)
	Rows    int    // rows of thumbnails at most (default 6)
	Thumb   int    // thumbnail box in pixels, square (default 128)
	Title   string // title of index.html (default "vecimg clusters")
	Workers int    // images loaded at once (default GOMAXPROCS)
	// Stale, for WriteSheetPages: a glob of the page files of an earlier
	// run (e.g. "group_*.png"); those not written again are removed.
	Stale string
}

// withDefaults checks opts and the image loader and fills in the defaults
// (title: the given one) for WriteSheets and WriteSheetPages.
func (opts SheetOptions) withDefaults(title string, load func(id string) (image.Image, error)) (SheetOptions, error) {
	if opts.Cols < 0 || opts.Rows < 0 || opts.Thumb < 0 || opts.Workers < 0 {
		return opts, fmt.Errorf("%w: negative SheetOptions field in %+v", ErrInvalidOptions, opts)
	}
	if load == nil {
		return opts, fmt.Errorf("%w: nil image loader", ErrInvalidOptions)
	}
	opts.Cols = cmp.Or(opts.Cols, DefaultSheetCols)
	opts.Rows = cmp.Or(opts.Rows, DefaultSheetRows)
	opts.Thumb = cmp.Or(opts.Thumb, DefaultSheetThumb)
	opts.Title = cmp.Or(opts.Title, title)
	opts.Workers = cmp.Or(opts.Workers, runtime.GOMAXPROCS(0))
	if opts.Thumb < 32 {
		return opts, fmt.Errorf("%w: Thumb = %d px is too small for captions (min 32)", ErrInvalidOptions, opts.Thumb)
	}
	return opts, nil
}

// Sheets lists what WriteSheets wrote.
type Sheets struct {
	Index      string   // path of index.html
	Files      []string // path of each cluster's PNG, in the order given
	Unreadable []string // ids whose image failed to load (drawn as grey tiles)
}

// WriteSheets writes one PNG contact sheet per cluster into dir (created if
// needed), named cluster_NN.png after the label, plus an index.html that
// shows them all with their sizes. A sheet has a header line ("cluster 3:
// 57 images, 36 nearest the centre shown") over a grid of up to Cols×Rows
// thumbnails, each fitted into a Thumb×Thumb box and captioned with its id;
// ids beyond Cols×Rows are not drawn. load fetches an image by id; an image
// that fails to load becomes a grey tile marked "unreadable" (and its id is
// listed in Sheets.Unreadable) rather than an error.
func WriteSheets(ctx context.Context, dir string, clusters []SheetCluster, load func(id string) (image.Image, error), opts SheetOptions) (*Sheets, error) {
	opts, err := opts.withDefaults(DefaultSheetTitle, load)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating sheet directory: %w", err)
	}
	width := 2
	for _, c := range clusters {
		width = max(width, len(strconv.Itoa(c.Label)))
	}
	out := &Sheets{Index: filepath.Join(dir, "index.html")}
	entries := make([]indexEntry, 0, len(clusters))
	for _, c := range clusters {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("cluster_%0*d.png", width, c.Label)
		img, bad := drawSheet(c, load, opts)
		out.Unreadable = append(out.Unreadable, bad...)
		path := filepath.Join(dir, name)
		if err := writePNG(path, img); err != nil {
			return nil, err
		}
		out.Files = append(out.Files, path)
		entries = append(entries, indexEntry{Label: c.Label, Size: c.Size, Shown: min(len(c.IDs), opts.Cols*opts.Rows), File: name})
	}
	err = fsutil.WriteFileAtomic(out.Index, func(w io.Writer) error {
		return indexTemplate.Execute(w, struct {
			Title    string
			Clusters []indexEntry
		}{opts.Title, entries})
	})
	if err != nil {
		return nil, fmt.Errorf("writing sheet index: %w", err)
	}
	if err := finishOutput(dir, "cluster_*.png", out.Files); err != nil {
		return nil, err
	}
	return out, nil
}

// finishOutput removes the sheets of an earlier run that this one did not
// write again (a run with fewer clusters or groups), and marks dir as
// vecimg's output so that an ingest of a folder around it skips it.
func finishOutput(dir, pattern string, written []string) error {
	if err := fsutil.RemoveStale(dir, pattern, written); err != nil {
		return fmt.Errorf("removing the sheets of an earlier run: %w", err)
	}
	return fsutil.MarkOutput(dir)
}

type indexEntry struct {
	Label, Size, Shown int
	File               string
}

// sheetHTMLHead opens every contact-sheet index page (cluster and group
// sheets alike): document head, style and the title heading.
const sheetHTMLHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; background: #fafafa; }
section { margin-bottom: 2em; }
img { max-width: 100%; border: 1px solid #ccc; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
`

var indexTemplate = template.Must(template.New("index").Parse(sheetHTMLHead + `<p>{{len .Clusters}} clusters. Each sheet shows the images nearest the cluster centre first.</p>
<ul>
{{- range .Clusters}}
<li><a href="#cluster-{{.Label}}">cluster {{.Label}}</a>: {{.Size}} images</li>
{{- end}}
</ul>
{{- range .Clusters}}
<section id="cluster-{{.Label}}">
<h2>Cluster {{.Label}}: {{.Size}} images ({{.Shown}} shown)</h2>
<img src="{{.File}}" alt="contact sheet of cluster {{.Label}}">
</section>
{{- end}}
</body>
</html>
`))

// Sheet geometry, in pixels.
const (
	sheetPad     = 6
	sheetHeader  = 26
	sheetCaption = 16
)

var (
	sheetBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	tileBackground  = color.RGBA{0xee, 0xee, 0xee, 0xff}
	placeholderGrey = color.RGBA{0xa0, 0xa0, 0xa0, 0xff}
)

// drawSheet renders one cluster's sheet and returns the ids that failed to load.
func drawSheet(c SheetCluster, load func(string) (image.Image, error), o SheetOptions) (*image.RGBA, []string) {
	ids := c.IDs[:min(len(c.IDs), o.Cols*o.Rows)]
	rows := max((len(ids)+o.Cols-1)/o.Cols, 1)
	cell := o.Thumb + sheetPad
	w := sheetPad + o.Cols*cell
	h := sheetHeader + rows*(cell+sheetCaption) + sheetPad
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(sheetBackground), image.Point{}, draw.Src)
	header := fmt.Sprintf("cluster %d: %d images, %d nearest the centre shown", c.Label, c.Size, len(ids))
	if len(c.Distances) == len(c.IDs) {
		header += " (distance to the centre, id)"
	}
	drawText(img, header, sheetPad, 18, w-2*sheetPad)

	thumbs, failed := loadThumbs(ids, load, o)
	var bad []string
	for t, id := range ids {
		x := sheetPad + (t%o.Cols)*cell
		y := sheetHeader + (t/o.Cols)*(cell+sheetCaption)
		if failed[t] {
			bad = append(bad, id)
		}
		drawTile(img, x, y, thumbs[t], o)
		caption := id
		if len(c.Distances) == len(c.IDs) {
			caption = fmt.Sprintf("%.3f %s", c.Distances[t], id)
		}
		drawText(img, caption, x, y+o.Thumb+12, o.Thumb)
	}
	return img, bad
}

// drawText draws s in black with its baseline at (x, y), cut with ".." so
// that it fits in maxWidth pixels.
func drawText(img draw.Image, s string, x, y, maxWidth int) {
	face := basicfont.Face7x13
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	if d.MeasureString(s).Ceil() > maxWidth {
		r := []rune(s)
		for len(r) > 0 && d.MeasureString(string(r)+"..").Ceil() > maxWidth {
			r = r[:len(r)-1]
		}
		s = string(r) + ".."
	}
	d.Dot = fixed.P(x, y)
	d.DrawString(s)
}

func writePNG(path string, img image.Image) error {
	if err := fsutil.WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return fmt.Errorf("writing contact sheet: %w", err)
	}
	return nil
}

// loadThumbs loads and fits the images of ids on o.Workers goroutines;
// failed[t] marks an image that could not be loaded.
func loadThumbs(ids []string, load func(string) (image.Image, error), o SheetOptions) (thumbs []image.Image, failed []bool) {
	thumbs = make([]image.Image, len(ids))
	failed = make([]bool, len(ids))
	parallel(o.Workers, len(ids), 1, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			src, err := load(ids[t])
			if err != nil || src == nil || src.Bounds().Empty() {
				failed[t] = true
				continue
			}
			thumbs[t] = imaging.Fit(src, o.Thumb, o.Thumb, imaging.Box)
		}
	})
	return thumbs, failed
}

// drawTile draws one thumbnail (or the "unreadable" placeholder when th is
// nil) in the o.Thumb square at (x, y).
func drawTile(img *image.RGBA, x, y int, th image.Image, o SheetOptions) {
	box := image.Rect(x, y, x+o.Thumb, y+o.Thumb)
	if th == nil {
		draw.Draw(img, box, image.NewUniform(placeholderGrey), image.Point{}, draw.Src)
		drawText(img, "unreadable", x+4, y+o.Thumb/2, o.Thumb-8)
		return
	}
	draw.Draw(img, box, image.NewUniform(tileBackground), image.Point{}, draw.Src)
	b := th.Bounds()
	off := image.Pt(x+(o.Thumb-b.Dx())/2, y+(o.Thumb-b.Dy())/2)
	draw.Draw(img, image.Rectangle{Min: off, Max: off.Add(b.Size())}, th, b.Min, draw.Over)
}
