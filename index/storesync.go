package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/vecimg/vecimg/internal/progress"
)

// VectorSource streams every (id, vector) pair; v is only valid during the
// call. The store's ScanVectors implements it.
type VectorSource interface {
	ScanVectors(ctx context.Context, fn func(id string, v []float32) error) error
}

// PartedSource is a VectorSource that can also scan in parts at once: fn
// is called concurrently, with the part (0 to parts-1) that read the
// record; one part's calls follow one another; every record is passed
// once. The store's ScanVectorsParts implements it. Exact search uses it
// when it is there.
type PartedSource interface {
	ScanVectorsParts(ctx context.Context, parts int, fn func(part int, id string, v []float32) error) error
}

// VectorFetcher reads vectors by id: it sets dst[i] to the vector of ids[i]
// (reusing dst[i]'s capacity), or to an empty slice when there is no such
// id. The store's Vectors implements it. It is the seam through which
// re-ranking reads exact vectors: the index keeps only codes.
type VectorFetcher interface {
	Vectors(ids []string, dst [][]float32) error
}

// VersionSource lists every id with a version: a number that changes
// whenever the id's vector is rewritten, read without reading vectors. The
// store's ScanVersions implements it.
type VersionSource interface {
	ScanVersions(ctx context.Context, fn func(id string, version uint64) error) error
}

// Source is what Open builds and updates an index from, and re-ranks and
// scans exactly with: *store.Store implements it.
type Source interface {
	VectorSource
	VectorFetcher
	VersionSource
}

// The stages a build or update reports to OpenOptions.Progress and Build's
// progress (see progress.Func): vectors of the training sample read, vectors
// encoded, vectors linked into the graph, search-breadth tuning steps, index
// files saved.
const (
	StageSampling = "sampling"
	StageEncoding = "encoding"
	StageLinking  = "linking"
	StageTuning   = "tuning"
	StageSaving   = "saving"
)

// OpenOptions configure Open.
type OpenOptions struct {
	Dim        int    // vector dimension of the source
	Generation uint64 // the source's generation; a file recording it is used as is
	Config     Config // used when building from scratch
	Progress   progress.Func
	// Rebuild forces a build from scratch (retraining the codebook).
	Rebuild bool
	// Verify checks every section checksum of an existing file first (see
	// Verify); by default only the header and codebook are checked.
	Verify bool
	// RecallTarget is the recall@10 the index tunes its search breadth for
	// after a build, or after an update that grew it by 10% or more since
	// it was last tuned (see Index.Tune): 0 means DefaultRecallTarget, a
	// negative value turns tuning off.
	RecallTarget float64
}

// SyncInfo says how an index file was brought up to date.
type SyncInfo struct {
	Loaded  bool   // a usable index file was opened
	Rebuilt bool   // built from scratch (no file, or a damaged/incompatible one)
	Reason  string // why it was rebuilt ("" when not)
	Added   int    // vectors added or replaced incrementally
	Deleted int    // vectors removed incrementally
	Saved   bool   // the file was rewritten
	SaveErr error  // why saving failed (the index in memory is still right)
	// Tuned is the tuning measured by this call (nil when none was).
	Tuned    *Tuning
	TuneErr  error // why tuning failed (the index is usable with the automatic breadth)
	Duration time.Duration
}

// Open returns the index at path for src, with src set as fetcher and exact
// source. A file recording opt.Generation is only mapped (nothing is read
// in proportion to its size). A file of an older generation is updated
// incrementally: the ids and versions of src are listed (no vectors read),
// and only new and changed vectors are fetched, encoded with the file's
// codebook and linked; vanished ones are deleted. A missing, damaged or
// incompatible file, or one whose codebook should be retrained (see
// NeedsRetrain), is rebuilt from src. When anything changed the file is
// saved atomically; a failed save is reported in SyncInfo.SaveErr, not as
// an error, since the index in memory is still right.
func Open(ctx context.Context, path string, src Source, opt OpenOptions) (*Index, SyncInfo, error) {
	start := time.Now()
	var info SyncInfo
	var x *Index
	err := errors.New("rebuild requested")
	if !opt.Rebuild {
		if opt.Verify {
			err = Verify(path)
		}
		if err == nil || !opt.Verify {
			x, err = OpenFile(path)
		}
	}
	switch {
	case err == nil && x.dim != opt.Dim:
		info.Reason = fmt.Sprintf("index has dimension %d, the store %d", x.dim, opt.Dim)
		x.Close()
		x = nil
	case err == nil:
		info.Loaded = true
		x.fetch, x.scan = src, src
		x.searchDefaults(opt.Config)
		if x.gen == opt.Generation {
			info.Duration = time.Since(start)
			return x, info, nil
		}
	case opt.Rebuild:
		info.Reason = "rebuild requested"
	case errors.Is(err, os.ErrNotExist):
		info.Reason = "no index file yet"
	default:
		info.Reason = err.Error()
	}
	if x != nil {
		n, err := x.syncFrom(ctx, src, opt.Progress, &info)
		if err != nil {
			x.Close()
			return nil, info, err
		}
		if n == needRebuild {
			x.Close()
			x = nil
		}
	}
	if x == nil {
		info.Rebuilt = true
		var err error
		if x, err = Build(ctx, src, opt.Dim, opt.Config, opt.Progress); err != nil {
			return nil, info, err
		}
	}
	if opt.RecallTarget >= 0 && x.needsTune() {
		opt.Progress.Report(StageTuning, 0, 1)
		if t, err := x.Tune(opt.RecallTarget, 0); err != nil {
			info.TuneErr = err
		} else {
			info.Tuned = &t
		}
		opt.Progress.Report(StageTuning, 1, 1)
	}
	opt.Progress.Report(StageSaving, 0, 1)
	if err := x.Save(path, opt.Generation); err != nil {
		info.SaveErr = err
	} else {
		info.Saved = true
	}
	opt.Progress.Report(StageSaving, 1, 1)
	x.SetGeneration(opt.Generation)
	info.Duration = time.Since(start)
	return x, info, nil
}

// searchDefaults takes the search-time settings of c: EfSearch (0, the
// automatic choice, included), and Rerank and ExactBelow where set. They
// are the caller's choice, not a property of the file, which keeps the
// values it was built with.
func (x *Index) searchDefaults(c Config) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if c.EfSearch >= 0 && c.EfSearch <= maxEf {
		x.cfg.EfSearch = c.EfSearch // 0: automatic
	}
	if c.Rerank > 0 && c.Rerank <= maxEf {
		x.cfg.Rerank = c.Rerank
	}
	if c.ExactBelow != 0 && c.ExactBelow <= math.MaxInt32 {
		x.cfg.ExactBelow = max(c.ExactBelow, -1)
	}
}

// trainIDs picks up to n of ids for the training sample: those with the
// smallest hash, a deterministic and content-independent choice.
func trainIDs(ids []string, n int) []string {
	if len(ids) <= n {
		return slices.Clone(ids)
	}
	out := smallestHashed(ids, n, 0x9e3779b97f4a7c15)
	slices.Sort(out)
	return out
}

// smallestHashed returns the up to n ids with the smallest hashID·salt, in
// that order: a choice that does not depend on the order of ids and keeps
// the same ids while they stay in it. Each salt gives its own sample.
func smallestHashed(ids []string, n int, salt uint64) []string {
	type hid struct {
		h  uint64
		id string
	}
	hs := make([]hid, len(ids))
	for i, id := range ids {
		hs[i] = hid{hashID(id) * salt, id}
	}
	slices.SortFunc(hs, func(a, b hid) int { return cmp.Compare(a.h, b.h) })
	out := make([]string, min(n, len(hs)))
	for i := range out {
		out[i] = hs[i].id
	}
	return out
}

// fetchChunk is how many vectors are fetched from a source at once.
const fetchChunk = 256

// fetchAll fetches the vectors of ids in chunks and calls fn(i, v) for each
// one the source has (v valid during the call).
func fetchAll(ctx context.Context, src VectorFetcher, ids []string, fn func(i int, v []float32) error) error {
	dst := make([][]float32, fetchChunk)
	for lo := 0; lo < len(ids); lo += fetchChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(len(ids), lo+fetchChunk)
		if err := src.Vectors(ids[lo:hi], dst[:hi-lo]); err != nil {
			return err
		}
		for j, v := range dst[:hi-lo] {
			if len(v) > 0 {
				if err := fn(lo+j, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Build makes a new index of src: it lists ids and versions, fetches a
// training sample of up to cfg.TrainSample vectors and trains the codebook,
// then streams every vector once (encoding on all cores; nothing but codes
// is kept), then links the graph on all cores. Peak memory is about the
// sample plus the codes and links, independent of the vector size beyond
// the sample. The result has src as fetcher and exact source.
func Build(ctx context.Context, src Source, dim int, cfg Config, prog progress.Func) (*Index, error) {
	x, err := New(dim, cfg)
	if err != nil {
		return nil, err
	}
	report := func(stage string, done, total int) { prog.Report(stage, int64(done), int64(total)) }
	vers := map[string]uint64{}
	var ids []string
	if err := src.ScanVersions(ctx, func(id string, v uint64) error {
		vers[id] = v
		ids = append(ids, id)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("index: listing vectors: %w", err)
	}
	x.fetch, x.scan = src, src
	if len(ids) == 0 {
		return x, nil
	}
	sampleIDs := trainIDs(ids, x.cfg.TrainSample)
	sample := make([][]float32, 0, len(sampleIDs))
	report(StageSampling, 0, len(sampleIDs))
	err = fetchAll(ctx, src, sampleIDs, func(i int, v []float32) error {
		u := make([]float32, dim)
		if err := normalise(u, v, dim); err != nil {
			return fmt.Errorf("vector %q: %w", sampleIDs[i], err)
		}
		sample = append(sample, u)
		if len(sample)%fetchChunk == 0 {
			report(StageSampling, len(sample), len(sampleIDs))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index: reading the training sample: %w", err)
	}
	report(StageSampling, len(sampleIDs), len(sampleIDs))
	if len(sample) == 0 {
		return x, nil
	}
	x.cb = trainCodebookCfg(sample, dim, x.cfg)
	sample = nil
	// One slot per listed id, in id order (the order of the vector scan).
	x.tabReserve(len(ids))
	x.reserve(len(ids))
	for _, id := range ids {
		if _, err := x.alloc(id, vers[id]); err != nil {
			return nil, err
		}
	}
	vers = nil
	seen, err := x.encodeStream(ctx, src, report)
	if err != nil {
		return nil, err
	}
	// Ids listed but gone by the time their vector was due: free them. Ids
	// that appeared meanwhile are added by the next update.
	slots := make([]uint32, 0, len(ids))
	for s, ok := range seen {
		if ok {
			slots = append(slots, uint32(s))
			continue
		}
		x.tabDelete(x.idOf(uint32(s)), uint32(s))
		x.idRef[s], x.vers[s] = 0, 0
		x.live--
		x.free = append(x.free, uint32(s))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.link(slots, func(done, total int) { report(StageLinking, done, total) })
	return x, nil
}

// encodeStream reads every vector of src once and encodes it, on all cores,
// into the slot already allocated for its id (the scan copies each vector
// into a small block; workers normalise, project and quantise). It returns
// which slots received a vector.
func (x *Index) encodeStream(ctx context.Context, src VectorSource, report func(stage string, done, total int)) ([]bool, error) {
	dim := x.dim
	type block struct {
		slots []uint32
		vecs  []float32
	}
	const blk = 64
	workers := max(1, min(8, runtime.GOMAXPROCS(0)))
	pool := make(chan *block, 2*workers+2)
	for range 2*workers + 2 {
		pool <- &block{vecs: make([]float32, 0, blk*dim)}
	}
	work := make(chan *block, workers+1)
	type result struct {
		err    error
		yy, zz float64
	}
	results := make(chan result, workers)
	for range workers {
		go func() {
			ys := make([][]float32, projBlock)
			zs := make([][]float32, projBlock)
			for j := range ys {
				ys[j] = make([]float32, dim)
				zs[j] = make([]float32, x.cb.cdim)
			}
			xs := make([][]float32, 0, projBlock)
			bias := make([]float32, projBlock)
			yy := make([]float64, projBlock)
			zz := make([]float64, projBlock)
			var r result
			for b := range work {
				for lo := 0; lo < len(b.slots) && r.err == nil; lo += projBlock {
					hi := min(len(b.slots), lo+projBlock)
					xs = xs[:0]
					for j := lo; j < hi; j++ {
						v := b.vecs[j*dim : (j+1)*dim]
						if err := normalise(v, v, dim); err != nil {
							r.err = fmt.Errorf("index: vector %q: %w", x.idOf(b.slots[j]), err)
							break
						}
						xs = append(xs, v)
					}
					if r.err != nil {
						break
					}
					x.cb.projectBlock(xs, ys, zs, bias, yy, zz)
					for j, s := range b.slots[lo:hi] {
						x.cb.quantise(zs[j], x.code(s))
						x.setBias(s, bias[j])
						x.setFineErr(s, x.cb.refine(zs[j], x.code(s), x.fineCode(s)))
						e := x.cb.codeErrors(zs[j], x.code(s), yy[j], zz[j])
						x.errs[2*s], x.errs[2*s+1] = e[0], e[1]
						r.yy += yy[j]
						r.zz += zz[j]
					}
				}
				b.slots, b.vecs = b.slots[:0], b.vecs[:0]
				pool <- b
			}
			results <- r
		}()
	}
	seen := make([]bool, x.slots())
	cur := <-pool
	n, total := 0, x.live
	report(StageEncoding, 0, total)
	err := src.ScanVectors(ctx, func(id string, v []float32) error {
		if len(v) != dim {
			return fmt.Errorf("vector %q has %d components, the index %d", id, len(v), dim)
		}
		s, ok := x.lookup(id)
		if !ok || seen[s] {
			return nil
		}
		seen[s] = true
		cur.slots = append(cur.slots, s)
		cur.vecs = append(cur.vecs, v...)
		if n++; len(cur.slots) == blk {
			work <- cur
			cur = <-pool
			if n%(16*blk) == 0 {
				report(StageEncoding, n, total)
			}
		}
		return nil
	})
	if len(cur.slots) > 0 {
		work <- cur
	}
	close(work)
	var werr error
	for range workers {
		if r := <-results; r.err != nil && werr == nil {
			werr = r.err
		}
	}
	if err != nil {
		return nil, fmt.Errorf("index: reading vectors: %w", err)
	}
	if werr != nil {
		return nil, werr
	}
	report(StageEncoding, n, total)
	return seen, nil
}

const needRebuild = -1

// syncFrom brings x up to date with src incrementally, or returns
// needRebuild when the codebook should be retrained.
func (x *Index) syncFrom(ctx context.Context, src Source, prog progress.Func, info *SyncInfo) (int, error) {
	report := func(stage string, done, total int) { prog.Report(stage, int64(done), int64(total)) }
	x.mu.RLock()
	var changed []string
	var changedVer []uint64
	seen := make([]bool, x.slots())
	fresh := 0
	err := src.ScanVersions(ctx, func(id string, v uint64) error {
		if s, ok := x.lookup(id); ok {
			seen[s] = true
			if x.vers[s] == v {
				return nil
			}
		} else {
			fresh++
		}
		changed = append(changed, id)
		changedVer = append(changedVer, v)
		return nil
	})
	var gone []string
	for s, ok := range seen {
		if id := x.idBytes(uint32(s)); !ok && len(id) > 0 {
			gone = append(gone, string(id))
		}
	}
	live := x.live
	x.mu.RUnlock()
	if err != nil {
		return 0, fmt.Errorf("index: listing vectors: %w", err)
	}
	after := live - len(gone) + fresh
	if why := x.retrainReason(after); why != "" {
		info.Reason = why
		return needRebuild, nil
	}
	if 2*(len(changed)+len(gone)) > max(live, 1) {
		info.Reason = fmt.Sprintf("%d of %d vectors changed: rebuilding is cheaper", len(changed)+len(gone), live)
		return needRebuild, nil
	}
	items := make([]encoded, 0, len(changed))
	var pend [][]float32 // normalised, waiting to be encoded
	var pendAt []int
	flush := func() {
		out := make([]encoded, len(pend))
		x.encodeAll(pend, func(j int) string { return changed[pendAt[j]] }, out)
		for j := range out {
			out[j].ver = changedVer[pendAt[j]]
		}
		items = append(items, out...)
		pend, pendAt = pend[:0], pendAt[:0]
		report(StageEncoding, len(items), len(changed))
	}
	report(StageEncoding, 0, len(changed))
	err = fetchAll(ctx, src, changed, func(i int, v []float32) error {
		u := make([]float32, x.dim)
		if err := normalise(u, v, x.dim); err != nil {
			return fmt.Errorf("vector %q: %w", changed[i], err)
		}
		pend = append(pend, u)
		pendAt = append(pendAt, i)
		if len(pend) == fetchChunk {
			flush()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("index: reading changed vectors: %w", err)
	}
	flush()
	report(StageEncoding, len(changed), len(changed))
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.own(); err != nil {
		return 0, err
	}
	if err := x.apply(items, gone, func(done, total int) { report(StageLinking, done, total) }); err != nil {
		return 0, err
	}
	info.Added, info.Deleted = len(items), len(gone)
	return len(items), nil
}

// NeedsRetrain says why the codebook should be retrained (by a full
// rebuild), or "" when it is fine: when the index has grown so that the
// training sample could now be twice as large, or when the vectors added
// since training (at least 1,000 of them) lose more than twice the share of
// their centred length to the projection that the training sample lost,
// plus one percentage point: the data has drifted away from the principal
// directions (a new kind of image, a changed model). Open rebuilds then.
func (x *Index) NeedsRetrain() string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.retrainReasonLocked(x.live)
}

func (x *Index) retrainReason(n int) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.retrainReasonLocked(n)
}

func (x *Index) retrainReasonLocked(n int) string {
	cb := x.cb
	if cb == nil {
		return "no codebook yet"
	}
	if want := min(n, x.cfg.TrainSample); 2*cb.trainN <= want {
		return fmt.Sprintf("the codebook was trained on %d vectors and could now use %d", cb.trainN, want)
	}
	if x.driftN >= 1000 && x.driftYY > 0 {
		res := max(0, 1-x.driftZ/x.driftYY)
		if res > 2*cb.trainRes+0.01 {
			return fmt.Sprintf("the %d vectors added since training lose %.1f%% of their variance to the codes, the training sample %.1f%%", x.driftN, 100*res, 100*cb.trainRes)
		}
	}
	return ""
}
