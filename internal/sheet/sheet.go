package sheet

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"runtime"
	"sync"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// Defaults of Options.
const (
	DefaultCols  = 6
	DefaultRows  = 6
	DefaultThumb = 128
)

// ErrInvalidOptions reports Options, pages or a loader that cannot be used
// (a negative field, a thumbnail too small for captions, a nil loader, a
// page file name outside the folder).
var ErrInvalidOptions = errors.New("sheet: invalid options")

// Loader fetches an image by id.
type Loader func(id string) (image.Image, error)

// Options configures WriteClusters and WritePages. Zero fields take the
// defaults.
type Options struct {
	Cols    int    // thumbnails per row (default DefaultCols)
	Rows    int    // rows of thumbnails at most (default DefaultRows)
	Thumb   int    // thumbnail box in pixels, square (default DefaultThumb)
	Title   string // title of index.html (default: the writer's)
	Workers int    // images loaded at once (default GOMAXPROCS)
	// Stale, for WritePages: a glob of the page files of an earlier run
	// (e.g. "group_*.png"); those not written again are removed.
	Stale string
}

// withDefaults checks opts and the image loader and fills in the defaults
// (title: the given one).
func (opts Options) withDefaults(title string, load Loader) (Options, error) {
	if opts.Cols < 0 || opts.Rows < 0 || opts.Thumb < 0 || opts.Workers < 0 {
		return opts, fmt.Errorf("%w: negative field in %+v", ErrInvalidOptions, opts)
	}
	if load == nil {
		return opts, fmt.Errorf("%w: nil image loader", ErrInvalidOptions)
	}
	opts.Cols = cmp.Or(opts.Cols, DefaultCols)
	opts.Rows = cmp.Or(opts.Rows, DefaultRows)
	opts.Thumb = cmp.Or(opts.Thumb, DefaultThumb)
	opts.Title = cmp.Or(opts.Title, title)
	opts.Workers = cmp.Or(opts.Workers, runtime.GOMAXPROCS(0))
	if opts.Thumb < 32 {
		return opts, fmt.Errorf("%w: Thumb = %d px is too small for captions (min 32)", ErrInvalidOptions, opts.Thumb)
	}
	return opts, nil
}

// Output lists what WriteClusters or WritePages wrote.
type Output struct {
	Index      string   // path of index.html
	Files      []string // path of each sheet's PNG, in the order given
	Unreadable []string // ids whose image failed to load (drawn as grey tiles)
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

// htmlHead opens every index page (cluster and page sheets alike):
// document head, style and the title heading.
const htmlHead = `<!DOCTYPE html>
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

// htmlTail closes every index page after its range of sections.
const htmlTail = `{{- end}}
</body>
</html>
`

// Sheet geometry, in pixels.
const (
	pad      = 6
	header   = 26
	captionH = 16 // one line of caption
)

var (
	sheetBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	tileBackground  = color.RGBA{0xee, 0xee, 0xee, 0xff}
	placeholderGrey = color.RGBA{0xa0, 0xa0, 0xa0, 0xff}
)

// drawGrid renders a sheet: head above a grid of the images of ids, o.Cols
// to a row, each captioned with the lines that caption gives for it (lines:
// how many a caption may have, 1 or 2). A narrow sheet (fit) is only as
// wide as its images, or its head, need; otherwise it has o.Cols columns.
// It returns the ids that failed to load.
func drawGrid(head string, ids []string, lines int, fit bool, caption func(t int) (string, string), load Loader, o Options) (*image.RGBA, []string) {
	rows := max((len(ids)+o.Cols-1)/o.Cols, 1)
	cell := o.Thumb + pad
	capH := lines * captionH
	w := pad + o.Cols*cell
	if fit {
		cols := max(min(o.Cols, len(ids)), 1)
		w = max(pad+cols*cell, min(7*len(head)+2*pad, w))
	}
	h := header + rows*(cell+capH) + pad
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(sheetBackground), image.Point{}, draw.Src)
	drawText(img, head, pad, 18, w-2*pad)

	thumbs, failed := loadThumbs(ids, load, o)
	var bad []string
	for t, id := range ids {
		x := pad + (t%o.Cols)*cell
		y := header + (t/o.Cols)*(cell+capH)
		if failed[t] {
			bad = append(bad, id)
		}
		drawTile(img, x, y, thumbs[t], o)
		line1, line2 := caption(t)
		drawText(img, line1, x, y+o.Thumb+12, o.Thumb)
		if line2 != "" {
			drawText(img, line2, x, y+o.Thumb+12+captionH-2, o.Thumb)
		}
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

// loadThumbs loads and fits the images of ids on up to o.Workers
// goroutines; failed[t] marks an image that could not be loaded.
func loadThumbs(ids []string, load Loader, o Options) (thumbs []image.Image, failed []bool) {
	thumbs = make([]image.Image, len(ids))
	failed = make([]bool, len(ids))
	w := min(o.Workers, len(ids))
	var wg sync.WaitGroup
	for g := range w {
		wg.Go(func() {
			for t := g; t < len(ids); t += w {
				src, err := load(ids[t])
				if err != nil || src == nil || src.Bounds().Empty() {
					failed[t] = true
					continue
				}
				thumbs[t] = imaging.Fit(src, o.Thumb, o.Thumb, imaging.Box)
			}
		})
	}
	wg.Wait()
	return thumbs, failed
}

// drawTile draws one thumbnail (or the "unreadable" placeholder when th is
// nil) in the o.Thumb square at (x, y).
func drawTile(img *image.RGBA, x, y int, th image.Image, o Options) {
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
