package app

// This file is the App as the server's Backend (vecimg serve): the server
// calls the same operations as the CLI (Similar, Cluster, Ingest, Info, ...)
// on one *App opened for the server's lifetime. ServeBackend translates the
// App's errors into the server's sentinels and keeps two caches valid for
// one store generation: recently shown records, and the duplicate groups of
// Dups (one computation per threshold, shared by concurrent requests).

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vecimg/vecimg/internal/server"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// StopGrace bounds how long a stopping server waits for the ingest batch in
// flight to be committed before cancelling it outright.
var ServeStopGrace = 2 * time.Minute

// ServeBackendOptions configure the backend.
type ServeBackendOptions struct {
	// Model finds the store's model, for uploads and --watch ingests.
	Model   ModelOptions
	Batch   int // ingest batch size; 0 = the ingest default
	Workers int // ingest decode workers; 0 = the ingest default
	// FollowLinks: --watch ingests follow symbolic links out of the folder.
	FollowLinks bool
	// OnWarn, when set, hears about a failed index save after an ingest
	// (the index in memory stays right).
	OnWarn func(msg string)
}

// ServeBackend is a server.Backend over an *App.
type ServeBackend struct {
	a     *App
	o     ServeBackendOptions
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
	m     map[string]types.Image
}

const maxCached = 100_000

func (c *recordCache) get(gen uint64, id string) (types.Image, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m == nil {
		c.gen, c.m = gen, map[string]types.Image{}
	}
	im, ok := c.m[id]
	return im, c.epoch, ok
}

func (c *recordCache) put(gen, epoch uint64, im types.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.epoch != epoch {
		return // the store or its labels changed while it was read
	}
	if len(c.m) >= maxCached {
		c.m = map[string]types.Image{}
	}
	c.m[im.ID] = im
}

func (c *recordCache) relabelled() {
	c.mu.Lock()
	c.epoch++
	c.m = nil
	c.mu.Unlock()
}

var _ server.Backend = (*ServeBackend)(nil)

// NewServeBackend returns the backend of a; a stays owned by the caller.
func NewServeBackend(a *App, o ServeBackendOptions) *ServeBackend {
	return &ServeBackend{a: a, o: o, dups: dupsCache{run: make(chan struct{}, 1)}}
}

// apiWording is err in the API's words.
type apiWording struct {
	msg string
	err error
}

func (e *apiWording) Error() string { return e.msg }
func (e *apiWording) Unwrap() error { return e.err }

// apiName is how the API names an App option: its query or JSON parameter
// where the API has one (threshold, k, seed), else the server's setting.
func apiName(option string) string {
	switch option {
	case "threshold", "k", "seed":
		return option
	}
	return "the server's " + option + " setting"
}

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
	var pe *ParamError
	if errors.As(err, &pe) { // the API's wording: k=99 is …, or the server's batch setting -1 is …
		name, sep := apiName(pe.Param), " "
		if name == pe.Param {
			sep = "="
		}
		err = &apiWording{msg: name + sep + pe.Value + " " + pe.Problem, err: err}
	}
	var oe *OptionError
	if errors.As(err, &oe) { // the API's wording: threshold=…, or the server's setting
		err = &apiWording{msg: strings.Replace(err.Error(), oe.Error(), oe.Word(apiName), 1), err: err}
	}
	var kind error
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		kind = server.ErrNotFound
	case errors.Is(err, ErrInvalid):
		kind = server.ErrInvalid
	case errors.Is(err, ErrNoModel), errors.Is(err, ErrNoStore):
		kind = server.ErrUnavailable
	case errors.Is(err, ErrBusy):
		kind = server.ErrConflict
	default:
		return err
	}
	return &kindError{err, kind}
}

// Info describes the store; an empty or not yet created store (a --watch
// server before its first batch) has count 0.
func (b *ServeBackend) Info(ctx context.Context) (types.ServerInfo, error) {
	in, err := b.a.Info(ctx)
	if errors.Is(err, ErrNoStore) {
		return types.ServerInfo{Store: b.a.DB(), EmbedWhy: "the store is empty"}, nil
	}
	if err != nil {
		return types.ServerInfo{}, wrap(err)
	}
	out := types.ServerInfo{Store: in.Path, Count: in.Count, Dim: in.Dim, Model: in.Model, ModelDesc: in.ModelDesc,
		Preset: in.Preset, Generation: in.Generation, DiskBytes: in.DiskBytes, Created: in.Created, CanEmbed: true}
	if in.ModelSpec != nil && in.ModelSpec.Kind == types.ModelImported {
		out.CanEmbed, out.EmbedWhy = false, "the store holds imported vectors: it has no model to embed images with"
	}
	return out, nil
}

// List returns a page of images in natural id order.
func (b *ServeBackend) List(ctx context.Context, o types.ListOptions) (types.ListPage, error) {
	page, err := b.a.List(ctx, o)
	if errors.Is(err, ErrNoStore) {
		return types.ListPage{}, nil
	}
	return page, wrap(err)
}

// Image returns one stored image.
func (b *ServeBackend) Image(ctx context.Context, id string) (types.Image, error) {
	gen, err := b.generation()
	return b.imageAt(ctx, gen, err == nil, id)
}

// generation is the store's generation, the key of the record cache.
func (b *ServeBackend) generation() (uint64, error) {
	st, err := b.a.Store()
	if err != nil {
		return 0, err
	}
	return st.Generation()
}

// imageAt returns one stored image through the record cache of store
// generation gen, or straight from the store when the generation is not
// known (known false).
func (b *ServeBackend) imageAt(ctx context.Context, gen uint64, known bool, id string) (types.Image, error) {
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

func (b *ServeBackend) image(ctx context.Context, id string) (types.Image, error) {
	im, err := b.a.Image(ctx, id)
	if errors.Is(err, ErrNoStore) {
		return types.Image{}, &kindError{fmt.Errorf("no stored image has id %q (the store is empty)", id), server.ErrNotFound}
	}
	return im, wrap(err)
}

// results turns app neighbours into the server's, with their records.
func (b *ServeBackend) results(ctx context.Context, hits []Neighbor) ([]types.Neighbour, error) {
	out := make([]types.Neighbour, 0, len(hits))
	gen, gerr := b.generation()
	for _, h := range hits {
		im, err := b.imageAt(ctx, gen, gerr == nil, h.ID)
		if errors.Is(err, server.ErrNotFound) {
			continue // removed since the search
		}
		if err != nil {
			return nil, err
		}
		out = append(out, types.Neighbour{Image: im, Distance: h.Distance})
	}
	return out, nil
}

// Neighbours runs the CLI's `similar ID` query. The id must be stored: a
// query string that is not an id is never resolved as a file path here.
func (b *ServeBackend) Neighbours(ctx context.Context, id string, k int, exact bool) ([]types.Neighbour, error) {
	if _, err := b.Image(ctx, id); err != nil {
		return nil, err
	}
	if err := b.checkK(ctx, k, 1); err != nil {
		return nil, err
	}
	res, err := b.a.Similar(ctx, SimilarOptions{Query: id, K: k, Exact: exact, NoPaths: true})
	if err != nil {
		return nil, wrap(err)
	}
	if res.QueryID != id {
		return nil, &kindError{fmt.Errorf("no stored image has id %q", id), server.ErrNotFound}
	}
	return b.results(ctx, res.Results)
}

// SearchImage embeds an upload with the store's model (not stored).
func (b *ServeBackend) SearchImage(ctx context.Context, data []byte, name string, k int, exact bool) ([]types.Neighbour, error) {
	if err := b.checkK(ctx, k, 0); err != nil {
		return nil, err
	}
	res, err := b.a.SimilarImage(ctx, SimilarImageOptions{Data: data, Name: name, K: k, Exact: exact, Model: b.o.Model})
	if err != nil {
		return nil, wrap(err)
	}
	return b.results(ctx, res.Results)
}

// checkK refuses a k larger than the stored images less self (1 for the
// neighbours of a stored image): the API answers 422 rather than fewer
// results than asked for.
func (b *ServeBackend) checkK(ctx context.Context, k, self int) error {
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
		return wrap(paramErr("k", k, "is more than the %d%s stored images", n, other))
	}
	return nil
}

// Clusters reports the last clustering with the current size of each
// label, largest first.
func (b *ServeBackend) Clusters(ctx context.Context) (types.Clusters, error) {
	var out types.Clusters
	in, err := b.a.Info(ctx)
	if errors.Is(err, ErrNoStore) {
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
		out.Run = &types.ClusterRun{K: c.K, Seed: c.Seed, Inertia: c.Inertia, Params: c.Params, Stale: c.Stale, At: c.At}
		for l := range int32(c.K) {
			out.Clusters = append(out.Clusters, types.ClusterSize{Label: l, Size: sizes[l]})
		}
	}
	for l, n := range sizes { // labels from an older run with a larger k
		if out.Run == nil || int(l) >= out.Run.K {
			out.Clusters = append(out.Clusters, types.ClusterSize{Label: l, Size: n})
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
func (b *ServeBackend) Cluster(ctx context.Context, o types.ClusterRequest) (types.Clusters, error) {
	_, err := b.a.Cluster(ctx, ClusterOptions{Params: types.ClusterParams{K: o.K, Seed: o.Seed}})
	b.cache.relabelled() // even after an error: some labels may be written
	if err != nil {
		return types.Clusters{}, wrap(err)
	}
	return b.Clusters(ctx)
}

// Map is the PCA projection of the store.
func (b *ServeBackend) Map(ctx context.Context) (types.Map, error) {
	m, err := b.a.Map(ctx)
	if errors.Is(err, ErrNoStore) {
		return types.Map{}, nil
	}
	return m, wrap(err)
}

// ingestProgress turns the app's progress calls and bad-file events into
// the server's. The app calls it from one goroutine at a time.
type ingestProgress struct {
	f                func(types.IngestProgress)
	active           bool
	total, done, bad int
}

func (p *ingestProgress) Start(stage, unit string, total int64) {
	p.active = stage == "ingest"
	if p.active {
		p.total = int(total)
		p.f(types.IngestProgress{Total: p.total})
	}
}

func (p *ingestProgress) Add(n int64) {
	if p.active {
		p.done += int(n)
		p.f(types.IngestProgress{Total: p.total, Done: p.done, Bad: p.bad})
	}
}

func (p *ingestProgress) Note(string) {}

// Bad counts a bad file; it reaches the server with the next count.
func (p *ingestProgress) Bad(BadFile) { p.bad++ }

func (p *ingestProgress) Done() { p.active = false }

// Ingest runs the CLI's `ingest DIR`. When ctx ends it stops taking files
// and lets the batch in flight be committed (up to ServeStopGrace). Each
// committed batch is searchable at once (the App adds it to its index); the
// index file is saved after a run that stored something.
func (b *ServeBackend) Ingest(ctx context.Context, dir string, progress func(types.IngestProgress)) (types.IngestReport, error) {
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
		case <-time.After(ServeStopGrace):
			cancel()
		}
	}()
	ip := &ingestProgress{f: progress}
	res, err := b.a.Ingest(run, IngestOptions{Dir: dir, Model: b.o.Model, Batch: b.o.Batch, Workers: b.o.Workers,
		FollowLinks: b.o.FollowLinks, Progress: ip, OnBad: ip.Bad, Stop: stop})
	if errors.Is(err, ErrNoImages) {
		err = nil // a watched folder that holds no image yet
	}
	s := res.IngestStats
	rep := types.IngestReport{Total: s.Total, Stored: s.Stored, Copied: s.Copied, Replaced: s.Replaced,
		Present: s.Present, Bad: s.Bad, Seconds: s.Seconds}
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
	res     types.Dups
	err     error
	waiters int                // requests waiting for a computation in flight
	cancel  context.CancelFunc // stops the computation when nobody waits any more
}

// Dups runs the CLI's `dups --threshold D` (no CSV, no sheets) and keeps
// the answer for the store's generation. threshold 0 means the store's
// calibrated thresholds, else the defaults. An empty store has no groups.
func (b *ServeBackend) Dups(ctx context.Context, threshold float64) (types.Dups, error) {
	empty := types.Dups{Threshold: threshold, Groups: []types.DupGroup{}}
	if err := ctx.Err(); err != nil {
		return empty, err
	}
	st, err := b.a.Store()
	if errors.Is(err, ErrNoStore) {
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
func (b *ServeBackend) computeDups(ctx context.Context, e *dupsEntry, gen uint64, threshold float64) {
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

func (b *ServeBackend) findDups(ctx context.Context, gen uint64, threshold float64) (types.Dups, error) {
	res, err := b.a.Dups(ctx, DupsOptions{Threshold: threshold, Progress: Quiet})
	if errors.Is(err, ErrNoStore) {
		return types.Dups{Threshold: threshold, Generation: gen, Groups: []types.DupGroup{}}, nil
	}
	if err != nil {
		return types.Dups{}, wrap(err)
	}
	return types.Dups{Threshold: res.Threshold, Images: res.Images, Generation: gen, InGroups: res.Stats.InGroups,
		Seconds: res.Seconds, Groups: res.Groups, Matching: MatchingWords(res)}, nil
}
