package sheet

import (
	"context"
	"fmt"
	"html/template"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// DefaultClusterTitle is the title of WriteClusters' index.html when
// Options.Title is empty.
const DefaultClusterTitle = "vecimg clusters"

// Cluster is one cluster to draw: its label, its size and the ids of the
// images to show, in display order.
type Cluster struct {
	Label int
	Size  int
	IDs   []string
	// Distances, when set, holds each shown image's distance to the
	// cluster centre (len(IDs)); the captions then show it before the id.
	Distances []float32
}

// WriteClusters writes one PNG contact sheet per cluster into dir (created
// if needed), named cluster_NN.png after the label, plus an index.html that
// shows them all with their sizes. A sheet has a header line ("cluster 3:
// 57 images, 36 nearest the centre shown") over a grid of up to Cols×Rows
// thumbnails, each fitted into a Thumb×Thumb box and captioned with its id;
// ids beyond Cols×Rows are not drawn. load fetches an image by id; an image
// that fails to load becomes a grey tile marked "unreadable" (and its id is
// listed in Output.Unreadable) rather than an error.
func WriteClusters(ctx context.Context, dir string, clusters []Cluster, load Loader, opts Options) (*Output, error) {
	opts, err := opts.withDefaults(DefaultClusterTitle, load)
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
	out := &Output{Index: filepath.Join(dir, "index.html")}
	entries := make([]indexEntry, 0, len(clusters))
	for _, c := range clusters {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("cluster_%0*d.png", width, c.Label)
		img, bad := drawCluster(c, load, opts)
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

type indexEntry struct {
	Label, Size, Shown int
	File               string
}

var indexTemplate = template.Must(template.New("index").Parse(htmlHead + `<p>{{len .Clusters}} clusters. Each sheet shows the images nearest the cluster centre first.</p>
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
` + htmlTail))

// drawCluster renders one cluster's sheet and returns the ids that failed
// to load.
func drawCluster(c Cluster, load Loader, o Options) (*image.RGBA, []string) {
	ids := c.IDs[:min(len(c.IDs), o.Cols*o.Rows)]
	head := fmt.Sprintf("cluster %d: %d images, %d nearest the centre shown", c.Label, c.Size, len(ids))
	withDist := len(c.Distances) == len(c.IDs)
	if withDist {
		head += " (distance to the centre, id)"
	}
	return drawGrid(head, ids, 1, false, func(t int) (string, string) {
		if withDist {
			return fmt.Sprintf("%.3f %s", c.Distances[t], ids[t]), ""
		}
		return ids[t], ""
	}, load, o)
}
