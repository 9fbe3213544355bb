// Package appbackend implements server.Backend with the application layer
// (internal/app): the server calls the same operations as the CLI (Similar,
// Cluster, Ingest, Info, ...) on one *app.App opened for the server's
// lifetime. It translates between the two packages' types and errors, and
// keeps two caches valid for one store generation: recently shown records,
// and the duplicate groups of Dups (one computation per threshold, shared
// by concurrent requests).
package appbackend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/store"
)

// StopGrace bounds how long a stopping server waits for the ingest batch in
// flight to be committed before cancelling it outright.
var StopGrace = 2 * time.Minute

// Options configure the backend.
type Options struct {
	// Model finds the store's model, for uploads and --watch ingests.
	Model   app.ModelOptions
	Batch   int // ingest batch size; 0 = the ingest default
	Workers int // ingest decode workers; 0 = the ingest default
	// FollowLinks: --watch ingests follow symbolic links out of the folder.
	FollowLinks bool
	// OnWarn, when set, hears about a failed index save after an ingest
	// (the index in memory stays right).
	OnWarn func(msg string)
}

// Backend is a server.Backend over an *app.App.
type Backend struct {
	a     *app.App
	o     Options
	cache recordCache
	dups  dupsCache
}

// recordCache keeps the records of images shown recently (neighbours are
// mostly the same few thousand images), so that a query does not read and
// decode every result's vector again. It is valid for one store generation
// (any put or delete moves it) and one labelling (epoch, moved by Cluster:
// labels do not change the generation). This server is the store's only
// writer while it runs.
type recordCache struct {
	mu    sync.Mutex
	gen   uint64
	epoch uint64
	m     map[string]server.Image
}

const maxCached = 100_000

func (c *recordCache) get(gen uint64, id string) (server.Image, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m == nil {
		c.gen, c.m = gen, map[string]server.Image{}
	}
	im, ok := c.m[id]
	return im, c.epoch, ok
}

func (c *recordCache) put(gen, epoch uint64, im server.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.epoch != epoch {
		return // the store or its labels changed while it was read
	}
	if len(c.m) >= maxCached {
		c.m = map[string]server.Image{}
	}
	c.m[im.ID] = im
}

func (c *recordCache) relabelled() {
	c.mu.Lock()
	c.epoch++
	c.m = nil
	c.mu.Unlock()
}

var _ server.Backend = (*Backend)(nil)

// New returns the backend of a; a stays owned by the caller.
func New(a *app.App, o Options) *Backend {
	return &Backend{a: a, o: o, dups: dupsCache{run: make(chan struct{}, 1)}}
}

// apiWording is err in the API's words.
type apiWording struct {
	msg string
	err error
}

func (e *apiWording) Error() string { return e.msg }
func (e *apiWording) Unwrap() error { return e.err }

// kindError keeps an app error's message and matches a server sentinel.
type kindError struct {
	err  error
	kind error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Unwrap() error        { return e.err }
func (e *kindError) Is(target error) bool { return target == e.kind }

// wrap gives an app error the server sentinel that says how to answer.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var pe *app.ParamError
	if errors.As(err, &pe) { // the API's wording: k=99 is …
		err = &apiWording{msg: pe.Param + "=" + pe.Value + " " + pe.Problem, err: err}
	}
	var kind error
	switch {
	case errors.Is(err, app.ErrNotFound), errors.Is(err, store.ErrNotFound):
		kind = server.ErrNotFound
	case errors.Is(err, app.ErrInvalid):
		kind = server.ErrInvalid
	case errors.Is(err, app.ErrNoModel), errors.Is(err, app.ErrNoStore):
		kind = server.ErrUnavailable
	case errors.Is(err, app.ErrBusy):
		kind = server.ErrConflict
	default:
		return err
	}
	return &kindError{err, kind}
}

func image(in app.ImageInfo) server.Image {
	return server.Image{ID: in.ID, Path: in.Path, SHA256: in.SHA256, Width: in.Width, Height: in.Height,
		Label: in.Label, ToCentre: in.ToCentre, Added: in.Added}
}

// Info describes the store; an empty or not yet created store (a --watch
// server before its first batch) has count 0.
func (b *Backend) Info(ctx context.Context) (server.Info, error) {
	in, err := b.a.Info(ctx)
	if errors.Is(err, app.ErrNoStore) {
		return server.Info{Store: b.a.DB(), EmbedWhy: "the store is empty"}, nil
	}
	if err != nil {
		return server.Info{}, wrap(err)
	}
	out := server.Info{Store: in.Path, Count: in.Count, Dim: in.Dim, Model: in.Model, ModelDesc: in.ModelDesc,
		Preset: in.Preset, Generation: in.Generation, DiskBytes: in.DiskBytes, Created: in.Created, CanEmbed: true}
	if in.ModelSpec != nil && in.ModelSpec.Kind == store.ModelImported {
		out.CanEmbed, out.EmbedWhy = false, "the store holds imported vectors: it has no model to embed images with"
	}
	return out, nil
}

// List returns a page of images in natural id order.
func (b *Backend) List(ctx context.Context, o server.ListOptions) (server.ListPage, error) {
	res, err := b.a.List(ctx, app.ListOptions{Offset: o.Offset, Limit: o.Limit, Label: o.Cluster})
	if errors.Is(err, app.ErrNoStore) {
		return server.ListPage{}, nil
	}
	if err != nil {
		return server.ListPage{}, wrap(err)
	}
	page := server.ListPage{Total: res.Total, Images: make([]server.Image, len(res.Images))}
	for i, im := range res.Images {
		page.Images[i] = image(im)
	}
	return page, nil
}

// Image returns one stored image.
func (b *Backend) Image(ctx context.Context, id string) (server.Image, error) {
	gen, err := b.generation()
	return b.imageAt(ctx, gen, err == nil, id)
}

// generation is the store's generation, the key of the record cache.
func (b *Backend) generation() (uint64, error) {
	st, err := b.a.Store()
	if err != nil {
		return 0, err
	}
	return st.Generation()
}

// imageAt returns one stored image through the record cache of store
// generation gen, or straight from the store when the generation is not
// known (known false).
func (b *Backend) imageAt(ctx context.Context, gen uint64, known bool, id string) (server.Image, error) {
	if !known {
		return b.image(ctx, id)
	}
	im, epoch, ok := b.cache.get(gen, id)
	if ok {
		return im, nil
	}
	out, err := b.image(ctx, id)
	if err == nil {
		b.cache.put(gen, epoch, out)
	}
	return out, err
}

func (b *Backend) image(ctx context.Context, id string) (server.Image, error) {
	im, err := b.a.Image(ctx, id)
	if errors.Is(err, app.ErrNoStore) {
		return server.Image{}, &kindError{fmt.Errorf("no stored image has id %q (the store is empty)", id), server.ErrNotFound}
	}
	if err != nil {
		return server.Image{}, wrap(err)
	}
	return image(im), nil
}

// results turns app neighbours into the server's, with their records.
func (b *Backend) results(ctx context.Context, hits []app.Neighbor) ([]server.Neighbour, error) {
	out := make([]server.Neighbour, 0, len(hits))
	gen, gerr := b.generation()
	for _, h := range hits {
		im, err := b.imageAt(ctx, gen, gerr == nil, h.ID)
		if errors.Is(err, server.ErrNotFound) {
			continue // removed since the search
		}
		if err != nil {
			return nil, err
		}
		out = append(out, server.Neighbour{Image: im, Distance: h.Distance})
	}
	return out, nil
}

// Neighbours runs the CLI's `similar ID` query. The id must be stored: a
// query string that is not an id is never resolved as a file path here.
func (b *Backend) Neighbours(ctx context.Context, id string, k int, exact bool) ([]server.Neighbour, error) {
	if _, err := b.Image(ctx, id); err != nil {
		return nil, err
	}
	if err := b.checkK(ctx, k, 1); err != nil {
		return nil, err
	}
	res, err := b.a.Similar(ctx, app.SimilarOptions{Query: id, K: k, Exact: exact, NoPaths: true})
	if err != nil {
		return nil, wrap(err)
	}
	if res.QueryID != id {
		return nil, &kindError{fmt.Errorf("no stored image has id %q", id), server.ErrNotFound}
	}
	return b.results(ctx, res.Results)
}

// SearchImage embeds an upload with the store's model (not stored).
func (b *Backend) SearchImage(ctx context.Context, data []byte, name string, k int, exact bool) ([]server.Neighbour, error) {
	if err := b.checkK(ctx, k, 0); err != nil {
		return nil, err
	}
	res, err := b.a.SimilarImage(ctx, app.SimilarImageOptions{Data: data, Name: name, K: k, Exact: exact, Model: b.o.Model})
	if err != nil {
		return nil, wrap(err)
	}
	return b.results(ctx, res.Results)
}

// checkK refuses a k larger than the stored images less self (1 for the
// neighbours of a stored image): the API answers 422 rather than fewer
// results than asked for.
func (b *Backend) checkK(ctx context.Context, k, self int) error {
	st, err := b.a.Store()
	if err != nil {
		return wrap(err)
	}
	count, err := st.Count()
	if err != nil {
		return err
	}
	if n := count - self; k > n {
		other := ""
		if self > 0 {
			other = " other"
		}
		return wrap(&app.ParamError{Param: "k", Value: fmt.Sprint(k), Problem: fmt.Sprintf("is more than the %d%s stored images", n, other)})
	}
	return nil
}

// Clusters reports the last clustering with the current size of each
// label, largest first.
func (b *Backend) Clusters(ctx context.Context) (server.Clusters, error) {
	var out server.Clusters
	in, err := b.a.Info(ctx)
	if errors.Is(err, app.ErrNoStore) {
		return out, nil
	}
	if err != nil {
		return out, wrap(err)
	}
	labels, err := b.a.Labels(ctx)
	if err != nil {
		return out, wrap(err)
	}
	sizes := map[int32]int{}
	for _, l := range labels {
		if l == store.NoLabel {
			out.Unlabelled++
		} else {
			sizes[l]++
		}
	}
	if c := in.Cluster; c != nil {
		out.Run = &server.ClusterRun{K: c.K, Seed: c.Seed, Inertia: c.Inertia, Params: c.Params, Stale: c.Stale, At: c.At}
		for l := range int32(c.K) {
			out.Clusters = append(out.Clusters, server.ClusterSize{Label: l, Size: sizes[l]})
		}
	}
	for l, n := range sizes { // labels from an older run with a larger k
		if out.Run == nil || int(l) >= out.Run.K {
			out.Clusters = append(out.Clusters, server.ClusterSize{Label: l, Size: n})
		}
	}
	sort.Slice(out.Clusters, func(i, j int) bool {
		a, c := out.Clusters[i], out.Clusters[j]
		if a.Size != c.Size {
			return a.Size > c.Size
		}
		return a.Label < c.Label
	})
	return out, nil
}

// Cluster runs the CLI's `cluster --k K --seed S` (default settings
// otherwise) and writes the labels back.
func (b *Backend) Cluster(ctx context.Context, o server.ClusterOptions) (server.Clusters, error) {
	p := cluster.DefaultOptions(o.K)
	p.Seed = o.Seed
	_, err := b.a.Cluster(ctx, app.ClusterOptions{Params: p})
	b.cache.relabelled() // even after an error: some labels may be written
	if err != nil {
		return server.Clusters{}, wrap(err)
	}
	return b.Clusters(ctx)
}

// Map is the PCA projection of the store.
func (b *Backend) Map(ctx context.Context) (server.Map, error) {
	m, err := b.a.Map(ctx)
	if errors.Is(err, app.ErrNoStore) {
		return server.Map{}, nil
	}
	if err != nil {
		return server.Map{}, wrap(err)
	}
	out := server.Map{Generation: m.Generation, Explained: m.Explained, Points: make([]server.MapPoint, len(m.Points))}
	for i, p := range m.Points {
		out.Points[i] = server.MapPoint{ID: p.ID, X: p.X, Y: p.Y, Label: p.Label}
	}
	return out, nil
}

// ingestProgress turns the app's progress calls and bad-file events into
// the server's. The app calls it from one goroutine at a time.
type ingestProgress struct {
	f                func(server.IngestProgress)
	active           bool
	total, done, bad int
}

func (p *ingestProgress) Start(stage, unit string, total int64) {
	p.active = stage == "ingest"
	if p.active {
		p.total = int(total)
		p.f(server.IngestProgress{Total: p.total})
	}
}

func (p *ingestProgress) Add(n int64) {
	if p.active {
		p.done += int(n)
		p.f(server.IngestProgress{Total: p.total, Done: p.done, Bad: p.bad})
	}
}

func (p *ingestProgress) Note(string) {}

// Bad counts a bad file; it reaches the server with the next count.
func (p *ingestProgress) Bad(app.BadFile) { p.bad++ }

func (p *ingestProgress) Done() { p.active = false }

// Ingest runs the CLI's `ingest DIR`. When ctx ends it stops taking files
// and lets the batch in flight be committed (up to StopGrace). Each
// committed batch is searchable at once (the App adds it to its index); the
// index file is saved after a run that stored something.
func (b *Backend) Ingest(ctx context.Context, dir string, progress func(server.IngestProgress)) (server.IngestReport, error) {
	stop := make(chan struct{})
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		close(stop)
		select {
		case <-finished:
		case <-time.After(StopGrace):
			cancel()
		}
	}()
	ip := &ingestProgress{f: progress}
	res, err := b.a.Ingest(run, app.IngestOptions{Dir: dir, Model: b.o.Model, Batch: b.o.Batch, Workers: b.o.Workers,
		FollowLinks: b.o.FollowLinks, Progress: ip, OnBad: ip.Bad, Stop: stop})
	if errors.Is(err, app.ErrNoImages) {
		err = nil // a watched folder that holds no image yet
	}
	s := res.IngestStats
	rep := server.IngestReport{Total: s.Total, Stored: s.Stored, Copied: s.Copied, Replaced: s.Replaced,
		Present: s.Present, Seconds: s.Seconds}
	for _, bf := range s.Bad {
		rep.Bad = append(rep.Bad, server.BadFile{Path: bf.Path, Reason: bf.Reason})
	}
	if s.Stored+s.Copied > 0 {
		if serr := b.a.SaveIndex(); serr != nil && b.o.OnWarn != nil {
			b.o.OnWarn(fmt.Sprintf("could not save the index file (%v); the index in memory is current and the next query of a CLI command rebuilds the file", serr))
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // stopped early: tell the watch loop
	}
	return rep, wrap(err)
}

// dupsCache keeps the answers of Dups for the current store generation, one
// per threshold (a few at most), so that reloading the page does not search
// the whole store again. Requests for a key being computed wait for that
// computation instead of starting their own, and only one computation runs
// at a time (each is a pass over the whole store).
type dupsCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[float64]*dupsEntry
	run chan struct{} // a token: held by the computation that runs
}

// maxDupsCached bounds the thresholds kept for one generation.
const maxDupsCached = 8

type dupsEntry struct {
	done    chan struct{} // closed when res and err are set
	res     server.Dups
	err     error
	waiters int                // requests waiting for a computation in flight
	cancel  context.CancelFunc // stops the computation when nobody waits any more
}

// Dups runs the CLI's `dups --threshold D` (no CSV, no sheets) and keeps
// the answer for the store's generation. threshold 0 means the store's
// calibrated thresholds, else the defaults. An empty store has no groups.
func (b *Backend) Dups(ctx context.Context, threshold float64) (server.Dups, error) {
	empty := server.Dups{Threshold: threshold, Groups: []server.DupGroup{}}
	if err := ctx.Err(); err != nil {
		return empty, err
	}
	st, err := b.a.Store()
	if errors.Is(err, app.ErrNoStore) {
		return empty, nil
	}
	if err != nil {
		return empty, wrap(err)
	}
	gen, err := st.Generation()
	if err != nil {
		return empty, wrap(err)
	}
	c := &b.dups
	c.mu.Lock()
	if c.m == nil || c.gen != gen {
		c.gen, c.m = gen, map[float64]*dupsEntry{}
	}
	e, ok := c.m[threshold]
	if ok {
		select {
		case <-e.done: // computed before
			c.mu.Unlock()
			res := e.res
			res.Cached = true
			return res, e.err
		default:
		}
	} else {
		if len(c.m) >= maxDupsCached {
			for t, old := range c.m { // drop finished answers; keep those in flight
				select {
				case <-old.done:
					delete(c.m, t)
				default:
				}
			}
		}
		run, cancel := context.WithCancel(context.WithoutCancel(ctx))
		e = &dupsEntry{done: make(chan struct{}), cancel: cancel}
		c.m[threshold] = e
		go b.computeDups(run, e, gen, threshold)
	}
	e.waiters++
	first := !ok
	c.mu.Unlock()

	select {
	case <-e.done:
		res := e.res
		res.Cached = !first
		return res, e.err
	case <-ctx.Done():
		c.mu.Lock()
		e.waiters--
		if e.waiters == 0 {
			select {
			case <-e.done:
			default:
				// Nobody wants it any more: stop and forget it.
				e.cancel()
				if c.m[threshold] == e {
					delete(c.m, threshold)
				}
			}
		}
		c.mu.Unlock()
		return empty, ctx.Err()
	}
}

// computeDups fills e, one computation at a time. A failed or cancelled
// computation is not kept.
func (b *Backend) computeDups(ctx context.Context, e *dupsEntry, gen uint64, threshold float64) {
	c := &b.dups
	defer e.cancel()
	select {
	case c.run <- struct{}{}:
		defer func() { <-c.run }()
		e.res, e.err = b.findDups(ctx, gen, threshold)
	case <-ctx.Done():
		e.err = ctx.Err()
	}
	c.mu.Lock()
	if e.err != nil && c.m[threshold] == e {
		delete(c.m, threshold)
	}
	close(e.done)
	c.mu.Unlock()
}

func (b *Backend) findDups(ctx context.Context, gen uint64, threshold float64) (server.Dups, error) {
	res, err := b.a.Dups(ctx, app.DupsOptions{Threshold: threshold, Progress: app.Quiet})
	if errors.Is(err, app.ErrNoStore) {
		return server.Dups{Threshold: threshold, Generation: gen, Groups: []server.DupGroup{}}, nil
	}
	if err != nil {
		return server.Dups{}, wrap(err)
	}
	out := server.Dups{Threshold: res.Threshold, Images: res.Images, Generation: gen, InGroups: res.Stats.InGroups,
		Seconds: res.Seconds, Groups: make([]server.DupGroup, len(res.Groups)), Matching: app.MatchingWords(res)}
	for i, g := range res.Groups {
		dg := server.DupGroup{Group: g.Group, Kind: g.Kind, Keep: g.Keep, Members: make([]server.DupMember, len(g.Members))}
		for j, m := range g.Members {
			dg.Members[j] = server.DupMember{ID: m.ID, Path: m.Path, SHA256: m.SHA256, Width: m.Width, Height: m.Height,
				Keep: m.Keep, Distance: m.Distance, Copies: m.Copies, PHash: m.PHash, DHash: m.DHash, Mirrored: m.Mirrored, Cropped: m.Cropped, MatchedBy: m.MatchedBy}
		}
		out.Groups[i] = dg
	}
	return out, nil
}
