package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vecimg/vecimg/embed/preprocess"
	"github.com/vecimg/vecimg/internal/phash"
	"github.com/vecimg/vecimg/internal/progress"
	"github.com/vecimg/vecimg/internal/vec"
)

// Item is one embedded image, ready to store.
type Item struct {
	ID     string
	Path   string
	SHA256 string // hex
	Width  int
	Height int
	Vector []float32
	// Hashes are the image's perceptual hashes, set (Hashed true) when
	// IngestOptions.Hashes asked for them and the Preparer is a
	// HashPreparer, or copied from an identical stored file.
	Hashes phash.Hashes
	Hashed bool
}

// Stored is what the sink already holds under an id.
type Stored struct {
	SHA256 string
	Path   string
}

// Runner computes vectors for a batch of preprocessed images; *Session is one.
type Runner interface {
	// Run embeds n images laid out back to back in in (n×3×S×S float32) and
	// returns n×Dim() floats, reusing out's storage when it is large enough.
	Run(in []float32, n int, out []float32) ([]float32, error)
	Dim() int       // output width
	InputSize() int // S
	DeviceName() string
}

// Sink is where the pipeline delivers vectors; the consumer (the store)
// implements it. Lookup and ByHash are called from several goroutines;
// Write from one.
type Sink interface {
	// Lookup returns what is stored under id, if anything.
	Lookup(id string) (Stored, bool, error)
	// ByHash returns a stored image with this content hash (its vector, size
	// and image hashes), so that a copy of a known file needs no model run.
	ByHash(sha string) (Item, bool, error)
	// Write stores one batch; the batch is durable when Write returns.
	Write(items []Item) error
}

// DefaultBatch is the number of images per inference batch when
// IngestOptions.Batch is 0 (the command line's default too): it suits a
// CPU (a GPU is better fed 64–128; docs/gpu-and-cpu.md).
const DefaultBatch = 16

// IngestOptions configure Ingest.
type IngestOptions struct {
	Batch   int // images per inference batch; default DefaultBatch
	Workers int // decode/preprocess goroutines; default runtime.NumCPU()
	Prep    Preparer
	// Progress, when set, follows the run as one stage, StageIngest (files
	// handled of the image files found): first once the folder is listed,
	// then after every committed batch and once at the end, from one
	// goroutine.
	Progress progress.Func
	// OnBad, when set, is called for each bad file soon after it is found,
	// from the goroutine that calls Progress (never concurrently with it).
	OnBad func(BadFile)
	// MaxFileSize bounds the bytes read from one file; default
	// preprocess.DefaultMaxFileBytes.
	MaxFileSize int64
	// Keep, when set, selects the files of this run by id (one shard of the
	// folder; see KeepFiles); the others are left out, counts included.
	Keep func(id string) bool
	// Stop, when closed, ends the run early but cleanly: no further file is
	// started, the files in progress are finished and their batch is
	// committed, and Ingest returns without error (vecimg serve's stop).
	Stop <-chan struct{}
	// Hashes asks for the perceptual hashes (internal/phash) of every image
	// the run decodes, computed from the decoded pixels the preset reads
	// anyway; it needs a HashPreparer (NewPreparer's is one).
	Hashes bool
	// FollowLinks follows symbolic links that lead out of the folder (see
	// Walk); by default they are reported as bad files.
	FollowLinks bool
	// Listed, when set, is the folder's listing already made by Walk(root,
	// FollowLinks) (a caller that looked before it created anything), so
	// Ingest does not walk the folder a second time.
	Listed *Listing
}

// StageIngest is the stage an ingest reports to IngestOptions.Progress.
const StageIngest = "ingest"

// IngestStats counts what a run did.
type IngestStats struct {
	Total    int       `json:"total"`    // image files found: Stored+Copied+Present+len(Bad) once the run ends
	Stored   int       `json:"stored"`   // embedded and stored in this run (counted once written)
	Copied   int       `json:"copied"`   // stored with the vector of an identical file already in the store
	Replaced int       `json:"replaced"` // of Stored, records whose file had changed
	Present  int       `json:"skipped_present"`
	Bad      []BadFile `json:"bad"`
	Seconds  float64   `json:"seconds"`
	PerSec   float64   `json:"images_per_second"` // images embedded per second
	Device   string    `json:"device,omitempty"`
	Done     int       `json:"-"` // files handled so far (for progress)
}

// Ingest embeds every image under root that the sink does not hold yet and
// writes the vectors to the sink, one committed batch at a time. Bad files are
// reported in the stats and skipped; the first error of the model or the sink
// stops the run (what was committed stays).
func Ingest(ctx context.Context, root string, sess Runner, sink Sink, o IngestOptions) (IngestStats, error) {
	start := time.Now()
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = preprocess.DefaultMaxFileBytes
	}
	if o.Prep == nil {
		return IngestStats{}, errors.New("embed: IngestOptions.Prep is nil")
	}
	if o.Prep.Size() != sess.InputSize() {
		return IngestStats{}, fmt.Errorf("%w: preset feeds %d×%d but the model takes %d×%d", ErrModel, o.Prep.Size(), o.Prep.Size(), sess.InputSize(), sess.InputSize())
	}
	var files []FileEntry
	var bad []BadFile
	var err error
	if o.Listed != nil {
		files, bad = o.Listed.Files, o.Listed.Bad
	} else if files, bad, err = Walk(root, o.FollowLinks); err != nil {
		return IngestStats{}, err
	}
	files, bad = KeepFiles(root, files, bad, o.Keep)
	p := &pipeline{o: o, sess: sess, sink: sink, stats: IngestStats{Total: len(files) + len(bad), Device: sess.DeviceName()},
		badSignal: make(chan struct{}, 1)}
	o.Progress.Report(StageIngest, 0, int64(len(files)+len(bad)))
	for _, b := range bad {
		p.addBad(b)
	}
	err = p.run(ctx, files)
	p.stats.Seconds = time.Since(start).Seconds()
	if p.embedded > 0 && p.stats.Seconds > 0 {
		p.stats.PerSec = float64(p.embedded) / p.stats.Seconds
	}
	p.report() // the run's goroutines have ended: this one reports the rest
	return p.snapshot(), err
}

type pipeline struct {
	o    IngestOptions
	sess Runner
	sink Sink

	mu       sync.Mutex
	stats    IngestStats
	embedded int
	// newBad are the bad files not yet passed to OnBad; badSignal wakes
	// the writer goroutine, which reports them (see report).
	newBad    []BadFile
	badSignal chan struct{}
}

// addBad records a bad file; any goroutine may call it.
func (p *pipeline) addBad(b BadFile) {
	p.mu.Lock()
	p.stats.Bad = append(p.stats.Bad, b)
	p.stats.Done++
	p.newBad = append(p.newBad, b)
	p.mu.Unlock()
	select {
	case p.badSignal <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// report passes the bad files found since the last call to OnBad, then the
// counts to Progress. Only the writer goroutine calls it during the run, and
// Ingest once after it, so the callbacks never run concurrently.
func (p *pipeline) report() {
	p.mu.Lock()
	bad := p.newBad
	p.newBad = nil
	p.mu.Unlock()
	if p.o.OnBad != nil {
		for _, b := range bad {
			p.o.OnBad(b)
		}
	}
	if p.o.Progress != nil {
		p.mu.Lock()
		done, total := p.stats.Done, p.stats.Total
		p.mu.Unlock()
		p.o.Progress(StageIngest, int64(done), int64(total))
	}
}

func (p *pipeline) count(f func(s *IngestStats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

func (p *pipeline) snapshot() IngestStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Bad = append([]BadFile(nil), p.stats.Bad...)
	return s
}

// slotMeta is what a worker learned about the image in a batch slot.
type slotMeta struct {
	item     Item
	replaced bool
	ok       bool
}

type batch struct {
	data   []float32
	meta   []slotMeta
	filled int // slots handed out
	done   int // slots committed
	sealed bool
}

// batcher hands out slots of reusable batch buffers to workers and passes a
// batch on once it is sealed (full, or flushed at the end) and all its
// handed-out slots are committed.
type batcher struct {
	size, per int
	mu        sync.Mutex
	cur       *batch
	free      chan *batch
	ready     chan *batch
}

func newBatcher(size, per, buffers int) *batcher {
	b := &batcher{size: size, per: per, free: make(chan *batch, buffers), ready: make(chan *batch, buffers)}
	for i := 0; i < buffers; i++ {
		b.free <- &batch{data: make([]float32, size*per), meta: make([]slotMeta, size)}
	}
	return b
}

func (b *batcher) acquire(ctx context.Context) (*batch, int, error) {
	b.mu.Lock()
	for b.cur == nil {
		b.mu.Unlock()
		var nb *batch
		select {
		case nb = <-b.free:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
		b.mu.Lock()
		if b.cur == nil {
			nb.filled, nb.done, nb.sealed = 0, 0, false
			b.cur = nb
		} else {
			b.free <- nb // cannot block: we took it from there
		}
	}
	bt := b.cur
	i := bt.filled
	bt.filled++
	if bt.filled == b.size {
		bt.sealed = true
		b.cur = nil
	}
	b.mu.Unlock()
	return bt, i, nil
}

func (b *batcher) commit(ctx context.Context, bt *batch, i int, m slotMeta) error {
	b.mu.Lock()
	bt.meta[i] = m
	bt.done++
	send := bt.sealed && bt.done == bt.filled
	b.mu.Unlock()
	if send {
		select {
		case b.ready <- bt:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// flush seals the partly filled batch once no worker will acquire again.
func (b *batcher) flush(ctx context.Context) error {
	b.mu.Lock()
	bt := b.cur
	b.cur = nil
	send := false
	if bt != nil {
		bt.sealed = true
		send = bt.done == bt.filled
	}
	b.mu.Unlock()
	if send {
		select {
		case b.ready <- bt:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (p *pipeline) run(ctx context.Context, files []FileEntry) error {
	S := p.sess.InputSize()
	per := 3 * S * S
	bt := newBatcher(p.o.Batch, per, 3)
	g, ctx := errgroup.WithContext(ctx)
	jobs := make(chan FileEntry)
	toWrite := make(chan toStore, 4)

	g.Go(func() error {
		defer close(jobs)
		for _, f := range files {
			select {
			case <-p.o.Stop: // a nil Stop never fires
				return nil
			default:
			}
			select {
			case jobs <- f:
			case <-p.o.Stop:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	var wg sync.WaitGroup
	for w := 0; w < p.o.Workers; w++ {
		wg.Add(1)
		g.Go(func() error {
			defer wg.Done()
			for f := range jobs {
				if err := p.handle(ctx, f, bt, toWrite); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error { // after the workers: flush the last batch, then close the queue
		defer close(bt.ready)
		wg.Wait()
		return bt.flush(ctx)
	})
	g.Go(func() error { // inference: one batch at a time, in the order they fill
		defer close(toWrite)
		var out []float32
		for b := range bt.ready {
			items, err := p.infer(b, &out)
			bt.free <- b
			if err != nil {
				return err
			}
			if len(items.items) == 0 {
				continue
			}
			select {
			case toWrite <- items:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error { // store writes, off the inference goroutine; the callbacks
		for {
			select {
			case w, ok := <-toWrite:
				if !ok {
					return nil
				}
				if err := p.sink.Write(w.items); err != nil {
					return fmt.Errorf("writing to the store: %w", err)
				}
				p.count(func(s *IngestStats) { // counted once durable
					s.Done += len(w.items)
					if w.copied {
						s.Copied += len(w.items)
					} else {
						s.Stored += len(w.items)
					}
					s.Replaced += w.replaced
				})
			case <-p.badSignal:
			}
			p.report()
		}
	})
	return g.Wait()
}

// handle reads, checks and preprocesses one file into a batch slot (or hands
// a copied vector straight to the writer).
func (p *pipeline) handle(ctx context.Context, f FileEntry, bt *batcher, toWrite chan<- toStore) (err error) {
	if f.Size > p.o.MaxFileSize {
		p.addBad(BadFile{Path: f.Path, Reason: fmt.Sprintf("file too large (%d MiB > %d MiB limit)", f.Size>>20, p.o.MaxFileSize>>20)})
		return nil
	}
	data, rerr := os.ReadFile(f.Path)
	if rerr != nil {
		p.addBad(BadFile{Path: f.Path, Reason: "cannot read: " + errText(rerr)})
		return nil
	}
	if len(data) == 0 {
		p.addBad(BadFile{Path: f.Path, Reason: "empty file"})
		return nil
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	replaced := false
	st, ok, lerr := p.sink.Lookup(f.ID)
	if lerr != nil {
		return fmt.Errorf("looking up %s in the store: %w", f.ID, lerr)
	}
	if ok {
		switch {
		case st.SHA256 == sha:
			p.count(func(s *IngestStats) { s.Present++; s.Done++ })
			return nil
		case st.Path != f.Path && fileExists(st.Path):
			p.addBad(BadFile{Path: f.Path, Reason: fmt.Sprintf("duplicate id %q (stored from %s), skipped", f.ID, st.Path)})
			return nil
		default:
			replaced = true // same file changed, or moved: replace the record
		}
	}
	if known, found, verr := p.sink.ByHash(sha); verr != nil {
		return fmt.Errorf("looking up %s in the store: %w", f.Path, verr)
	} else if found { // an identical file is stored: reuse its vector, no model run
		item := Item{ID: f.ID, Path: f.Path, SHA256: sha, Width: known.Width, Height: known.Height,
			Vector: append([]float32(nil), known.Vector...), Hashes: known.Hashes, Hashed: known.Hashed}
		w := toStore{items: []Item{item}, copied: true}
		if replaced {
			w.replaced = 1
		}
		select {
		case toWrite <- w:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	b, i, aerr := bt.acquire(ctx)
	if aerr != nil {
		return aerr
	}
	dst := b.data[i*bt.per : (i+1)*bt.per]
	item := Item{ID: f.ID, Path: f.Path, SHA256: sha}
	derr := p.decodeFill(dst, f.Path, data, &item)
	if derr != nil {
		p.addBad(badDecode(f.Path, derr))
		clear(dst) // the slot still goes through the model; its result is dropped
	}
	return bt.commit(ctx, b, i, slotMeta{item: item, replaced: replaced, ok: derr == nil})
}

// decodeFill decodes one file into its batch slot, setting the item's size
// (and hashes, when asked for), catching decoder panics.
func (p *pipeline) decodeFill(dst []float32, path string, data []byte, item *Item) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder crashed: %v", r)
		}
	}()
	if hp, ok := p.o.Prep.(HashPreparer); ok && p.o.Hashes {
		item.Width, item.Height, item.Hashes, err = hp.DecodeFillHash(dst, path, data)
		item.Hashed = err == nil
		return err
	}
	item.Width, item.Height, err = p.o.Prep.DecodeFill(dst, path, data)
	return err
}

// infer runs the model on a batch and returns the items with their vectors.
func (p *pipeline) infer(b *batch, out *[]float32) (toStore, error) {
	n := b.filled
	good := 0
	for i := 0; i < n; i++ {
		if b.meta[i].ok {
			good++
		}
	}
	if good == 0 { // only files that failed to decode: nothing to run
		return toStore{}, nil
	}
	vecs, err := p.sess.Run(b.data, n, *out)
	if err != nil {
		return toStore{}, err
	}
	*out = vecs
	dim := p.sess.Dim()
	w := toStore{items: make([]Item, 0, n)}
	for i := 0; i < n; i++ {
		m := b.meta[i]
		if !m.ok {
			continue
		}
		v := vecs[i*dim : (i+1)*dim]
		if reason := checkVector(v); reason != "" {
			p.addBad(BadFile{Path: m.item.Path, Reason: reason})
			continue
		}
		m.item.Vector = append([]float32(nil), v...)
		w.items = append(w.items, m.item)
		if m.replaced {
			w.replaced++
		}
	}
	p.mu.Lock()
	p.embedded += n
	p.mu.Unlock()
	return w, nil
}

// toStore is a batch for the writer: embedded items, or one item copied
// from an identical stored file; replaced counts the changed records in it.
type toStore struct {
	items    []Item
	copied   bool
	replaced int
}

// checkVector returns why a model output is unusable, or "" (the shared
// rule of internal/vec: finite and not all zero).
func checkVector(v []float32) string {
	if err := vec.Check(v, 0); err != nil {
		return fmt.Sprintf("model output is unusable (%v); check the weights", err)
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
