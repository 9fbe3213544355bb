package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/types"
)

// fakeBackend is an in-memory Backend: vectors are the mean colour of
// each image plus a few fixed features, so that search results are
// predictable without a model.
type fakeBackend struct {
	mu     sync.RWMutex
	imgs   map[string]*fakeImage
	run    *types.ClusterRun
	runGen uint64 // store generation the run saw
	gen    uint64
	ingest func(ctx context.Context) // test hook run inside Ingest
	calls  map[string]int
}

type fakeImage struct {
	types.Image
	vec []float32
}

func newFake() *fakeBackend {
	return &fakeBackend{imgs: map[string]*fakeImage{}, calls: map[string]int{}}
}

func (f *fakeBackend) count(op string) {
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
}

// vecOf makes the fake's vector of an image.
func vecOf(img image.Image) []float32 {
	b := img.Bounds()
	var r, g, bl, n float64
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, bl, n = r+float64(cr), g+float64(cg), bl+float64(cb), n+1
		}
	}
	return []float32{float32(r/n/65535) + 0.01, float32(g/n/65535) + 0.01, float32(bl/n/65535) + 0.01, 0.05}
}

// add stores a file under id (the fake's ingest of one file).
func (f *fakeBackend) addFile(id, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imgs[id] = &fakeImage{Image: types.Image{ID: id, Path: path, SHA256: hex.EncodeToString(sum[:]),
		Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Label: types.NoLabel, Added: time.Now().UTC()}, vec: vecOf(img)}
	f.gen++
	return nil
}

func (f *fakeBackend) sortedIDs() []string {
	ids := make([]string, 0, len(f.imgs))
	for id := range f.imgs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (f *fakeBackend) Info(ctx context.Context) (types.ServerInfo, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return types.ServerInfo{Store: "fake", Count: len(f.imgs), Dim: 4, Model: "fake", Preset: "fake", Generation: f.gen, CanEmbed: true}, nil
}

func (f *fakeBackend) List(ctx context.Context, o types.ListOptions) (types.ListPage, error) {
	f.count("list")
	f.mu.RLock()
	defer f.mu.RUnlock()
	var all []types.Image
	for _, id := range f.sortedIDs() {
		im := f.imgs[id]
		if o.Label == nil || im.Label == *o.Label {
			all = append(all, im.Image)
		}
	}
	p := types.ListPage{Total: len(all)}
	if o.Offset < len(all) {
		p.Images = all[o.Offset:min(len(all), o.Offset+o.Limit)]
	}
	return p, nil
}

func (f *fakeBackend) Image(ctx context.Context, id string) (types.Image, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	im, ok := f.imgs[id]
	if !ok {
		return types.Image{}, fmt.Errorf("%w: no stored image has id %q", ErrNotFound, id)
	}
	return im.Image, nil
}

func cosDist(a, b []float32) float32 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return float32(1 - d/math.Sqrt(na*nb))
}

func (f *fakeBackend) nearest(q []float32, k int, skip string) []types.Neighbour {
	var res []types.Neighbour
	for id, im := range f.imgs {
		if id != skip {
			res = append(res, types.Neighbour{Image: im.Image, Distance: cosDist(q, im.vec)})
		}
	}
	sort.Slice(res, func(i, j int) bool {
		if res[i].Distance != res[j].Distance {
			return res[i].Distance < res[j].Distance
		}
		return res[i].ID < res[j].ID
	})
	return res[:min(k, len(res))]
}

func (f *fakeBackend) Neighbours(ctx context.Context, id string, k int, exact bool) ([]types.Neighbour, error) {
	f.count("neighbours")
	f.mu.RLock()
	defer f.mu.RUnlock()
	im, ok := f.imgs[id]
	if !ok {
		return nil, fmt.Errorf("%w: no stored image has id %q", ErrNotFound, id)
	}
	return f.nearest(im.vec, k, id), nil
}

func (f *fakeBackend) SearchImage(ctx context.Context, data []byte, name string, k int, exact bool) ([]types.Neighbour, error) {
	f.count("search")
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.nearest(vecOf(img), k, ""), nil
}

func (f *fakeBackend) clustersLocked() types.Clusters {
	c := types.Clusters{Run: f.run}
	if f.run == nil {
		return c
	}
	sizes := map[int32]int{}
	for _, im := range f.imgs {
		if im.Label == types.NoLabel {
			c.Unlabelled++
		} else {
			sizes[im.Label]++
		}
	}
	for l := range int32(f.run.K) {
		c.Clusters = append(c.Clusters, types.ClusterSize{Label: l, Size: sizes[l]})
	}
	sort.Slice(c.Clusters, func(i, j int) bool { return c.Clusters[i].Size > c.Clusters[j].Size })
	r := *f.run
	r.Stale = f.runGen != f.gen
	c.Run = &r
	return c
}

func (f *fakeBackend) Clusters(ctx context.Context) (types.Clusters, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.clustersLocked(), nil
}

// Cluster labels images by their dominant colour channel, modulo k.
func (f *fakeBackend) Cluster(ctx context.Context, o types.ClusterRequest) (types.Clusters, error) {
	f.count("cluster")
	f.mu.Lock()
	defer f.mu.Unlock()
	if o.K > len(f.imgs) {
		return types.Clusters{}, fmt.Errorf("%w: k=%d is more than the %d stored images", ErrInvalid, o.K, len(f.imgs))
	}
	for _, im := range f.imgs {
		best := 0
		for i := 1; i < 3; i++ {
			if im.vec[i] > im.vec[best] {
				best = i
			}
		}
		im.Label = int32(best % o.K)
	}
	f.run = &types.ClusterRun{K: o.K, Seed: int64(o.Seed), At: time.Now().UTC()}
	f.runGen = f.gen
	return f.clustersLocked(), nil
}

func (f *fakeBackend) Map(ctx context.Context) (types.Map, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	m := types.Map{Generation: f.gen, Explained: [2]float64{0.6, 0.3}}
	for _, id := range f.sortedIDs() {
		im := f.imgs[id]
		m.Points = append(m.Points, types.MapPoint{ID: id, X: im.vec[0] - im.vec[2], Y: im.vec[1], Label: im.Label, SHA256: im.SHA256})
	}
	return m, nil
}

func (f *fakeBackend) Ingest(ctx context.Context, dir string, progress func(types.IngestProgress)) (types.IngestReport, error) {
	f.count("ingest")
	if f.ingest != nil {
		f.ingest(ctx)
	}
	var rep types.IngestReport
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	rep.Total = len(files)
	for i, p := range files {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rel, _ := filepath.Rel(dir, p)
		id := strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel))
		f.mu.RLock()
		_, have := f.imgs[id]
		f.mu.RUnlock()
		if have {
			rep.Present++
		} else if err := f.addFile(id, p); err != nil {
			rep.Bad = append(rep.Bad, types.BadFile{Path: p, Reason: err.Error()})
		} else {
			rep.Stored++
		}
		progress(types.IngestProgress{Total: rep.Total, Done: i + 1, Bad: len(rep.Bad)})
	}
	return rep, nil
}

// writePNG writes a w×h image of one colour with a gradient.
func writePNG(t testing.TB, path string, w, h int, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{c.R, c.G, uint8(int(c.B) + x%16), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pngBytes(t testing.TB, w, h int, c color.RGBA) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.png")
	writePNG(t, p, w, h, c)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeStore makes a fake backend holding n coloured images: reds, greens
// and blues.
func fakeStore(t testing.TB, n int) (*fakeBackend, string) {
	t.Helper()
	dir := t.TempDir()
	f := newFake()
	cols := []color.RGBA{{220, 30, 30, 255}, {30, 200, 40, 255}, {20, 40, 210, 255}}
	for i := range n {
		c := cols[i%3]
		c.R += uint8(i % 7)
		p := filepath.Join(dir, fmt.Sprintf("%d.png", i))
		writePNG(t, p, 64+i%5*8, 48+i%3*8, c)
		if err := f.addFile(fmt.Sprint(i), p); err != nil {
			t.Fatal(err)
		}
	}
	return f, dir
}

// fakeDupThreshold is the fake's default threshold.
const fakeDupThreshold = 0.004

// Dups groups byte-identical images (same SHA-256), then the others whose
// vectors are within threshold of one another (all pairs, connected
// components). Keep: largest area, then smallest id.
func (f *fakeBackend) Dups(ctx context.Context, threshold float64) (types.Dups, error) {
	f.count("dups")
	if threshold == 0 {
		threshold = fakeDupThreshold
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	ids := f.sortedIDs()
	out := types.Dups{Threshold: threshold, Images: len(ids), Generation: f.gen, Groups: []types.DupGroup{}}
	better := func(a, b string) bool {
		x, y := f.imgs[a], f.imgs[b]
		if ax, ay := x.Width*x.Height, y.Width*y.Height; ax != ay {
			return ax > ay
		}
		return a < b
	}
	group := func(kind string, members []string) {
		slices.SortFunc(members, func(a, b string) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		keep := f.imgs[members[0]]
		g := types.DupGroup{Kind: kind, Keep: keep.ID}
		for _, id := range members {
			im := f.imgs[id]
			g.Members = append(g.Members, types.DupMember{ID: id, Path: im.Path, Width: im.Width, Height: im.Height,
				Keep: id == keep.ID, Distance: max(0, cosDist(keep.vec, im.vec))})
		}
		out.Groups = append(out.Groups, g)
		out.InGroups += len(members)
	}
	bySHA := map[string][]string{}
	for _, id := range ids {
		bySHA[f.imgs[id].SHA256] = append(bySHA[f.imgs[id].SHA256], id)
	}
	var distinct []string // one per content
	for _, id := range ids {
		same := bySHA[f.imgs[id].SHA256]
		if same[0] != id {
			continue
		}
		if len(same) > 1 {
			group("identical", slices.Clone(same))
		}
		distinct = append(distinct, id)
	}
	parent := map[string]string{}
	var root func(string) string
	root = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := root(p)
			parent[x] = r
			return r
		}
		return x
	}
	for i, a := range distinct {
		for _, b := range distinct[i+1:] {
			if float64(cosDist(f.imgs[a].vec, f.imgs[b].vec)) <= threshold {
				if ra, rb := root(a), root(b); ra != rb {
					parent[rb] = ra
				}
			}
		}
	}
	comps := map[string][]string{}
	for _, id := range distinct {
		r := root(id)
		comps[r] = append(comps[r], id)
	}
	for _, id := range distinct {
		if c := comps[id]; len(c) > 1 {
			group("near", c)
		}
	}
	sort.SliceStable(out.Groups, func(i, j int) bool { return len(out.Groups[i].Members) > len(out.Groups[j].Members) })
	for i := range out.Groups {
		out.Groups[i].Group = i + 1
	}
	return out, nil
}
