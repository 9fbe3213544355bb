package app

// Every call into package index is in this file, so that the index can
// change its API with edits here only. The index file of a store lives
// beside it: <db>.hnsw.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"sync"

	"github.com/vecimg/vecimg/index"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// IndexPath is where the nearest-neighbour index of the store at db lives.
func IndexPath(db string) string { return db + ".hnsw" }

// indexState is the App's in-memory index, reopened when the store's
// generation has moved on.
type indexState struct {
	mu  sync.Mutex // held while the index is opened or brought up to date
	x   *index.Index
	gen uint64
	// live counts batches being put into x by putLive: while one is, x is
	// used as it is instead of being synced from the store.
	live  int
	saved uint64 // generation of the index file, as far as this App knows
	// target is the recall@10 a build tunes the search breadth for (0: the
	// index's default; negative: no tuning). From Config.RecallTarget.
	target float64
}

// searchParams are the search settings of one query.
type searchParams struct {
	K, Ef int
	Exact bool
}

func (sp searchParams) options() index.SearchOptions {
	o := index.SearchOptions{K: sp.K, Ef: sp.Ef}
	if sp.Exact {
		o.Method = index.Exact
	}
	return o
}

// indexStage shows the index's stages on a Progress: "index: sampling",
// "index: encoding", "index: linking", "index: tuning", "index: saving".
func indexStage(stage string, total int64) (string, string, int64) {
	unit := "vectors"
	switch stage {
	case index.StageSaving:
		unit = "files"
	case index.StageTuning:
		unit = "steps"
	}
	return "index: " + stage, unit, total
}

// currentIndex returns the index reflecting the store's current generation,
// opening, updating or building it (and saving its file) when needed.
func (a *App) currentIndex(ctx context.Context, st *store.Store, p Progress) (*index.Index, error) {
	return a.currentIndexWith(ctx, st, p, false)
}

// currentIndexWith is currentIndex; with writing set the caller holds
// a.writeMu, so a build or update may release the value-log pages it reads
// even on a writable store (see pageReleaser).
func (a *App) currentIndexWith(ctx context.Context, st *store.Store, p Progress, writing bool) (*index.Index, error) {
	gen, err := st.Generation()
	if err != nil {
		return nil, err
	}
	s := &a.idx
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.x != nil && (s.gen == gen || s.live > 0) {
		return s.x, nil
	}
	man, ok, err := st.Manifest()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &msgError{kind: ErrNoStore, msg: fmt.Sprintf("store %s is empty: run `vecimg ingest DIR` first", st.Path())}
	}
	src := scanSource(st, man.Dim)
	if writing {
		src = newReleasingStore(st, man.Dim)
	}
	prog, end := libraryProgress(p, indexStage)
	x, info, err := index.Open(ctx, IndexPath(st.Path()), src, index.OpenOptions{
		Dim: man.Dim, Generation: gen, Config: index.DefaultConfig(), Progress: prog, RecallTarget: s.target,
	})
	end()
	if err != nil {
		return nil, fmt.Errorf("building the index of %s: %w", st.Path(), err)
	}
	switch {
	case info.Rebuilt && info.Loaded:
		p.Note(fmt.Sprintf("index rebuilt (%s)", info.Reason))
	case info.Rebuilt && info.Reason != "no index file yet":
		p.Note(fmt.Sprintf("%s; rebuilt it", info.Reason))
	}
	if info.SaveErr != nil {
		p.Note(fmt.Sprintf("warning: could not save the index (%v); it will be rebuilt next time", info.SaveErr))
	}
	if info.TuneErr != nil {
		p.Note(fmt.Sprintf("warning: could not tune the index's search breadth (%v); using ef %d", info.TuneErr, x.SearchEf()))
	}
	if info.Tuned != nil {
		p.Note(info.Tuned.String())
	}
	if writing {
		// Later searches run outside a.writeMu: they read the store as
		// scanSource says.
		plain := scanSource(st, man.Dim)
		x.SetFetcher(plain)
		x.SetSource(plain)
	}
	// The index replaced (if any) is not closed: other goroutines may
	// still be searching it; its file mapping is released when it becomes
	// unreachable.
	s.x, s.gen = x, gen
	if info.SaveErr == nil {
		s.saved = gen
	}
	switch {
	case !writing:
		a.usePositions(ctx, st, p)
	case a.cfg.LateWrite:
		// A CLI command that wrote: the positions of the new state are
		// written now, so that the next query need not (a server, which
		// writes often and reads through its writable store, skips them).
		a.writePositions(ctx, st, p)
	}
	return x, nil
}

// scanSource is st as the index's vector source. On a read-only store (the
// CLI's queries) full scans release their value-log pages as they go, so
// building the index or an exact search of a large store keeps a small
// resident set; a writable store (serve, ingest) may be written during the
// scan, so it is passed as it is.
func scanSource(st *store.Store, dim int) index.Source {
	if st.ReadOnly() {
		return newReleasingStore(st, dim)
	}
	return st
}

// syncIndex brings the index (and its file) up to date after a write. The
// caller holds a.writeMu.
func (a *App) syncIndex(ctx context.Context, st *store.Store, p Progress) error {
	_, err := a.currentIndexWith(ctx, st, p, true)
	return err
}

// exactFromIndex reports whether an exact search should use the index: it
// has a file (exact search then compares the query with every code and
// reads only the vectors that can be in the top k, index.Exact). Without
// one it streams the store, which is what building the index would do too.
func exactFromIndex(st *store.Store) bool {
	_, err := os.Stat(IndexPath(st.Path()))
	return err == nil
}

// searchID returns the neighbours of a stored record, leaving it out. An
// exact search uses the index's codes when it has a file, else streams the
// store's vectors without opening the index.
func (a *App) searchID(ctx context.Context, st *store.Store, id string, sp searchParams, p Progress) ([]Neighbor, error) {
	if sp.Exact && !exactFromIndex(st) {
		vs := make([][]float32, 1)
		if err := st.Vectors([]string{id}, vs); err != nil {
			return nil, err
		}
		if len(vs[0]) == 0 {
			return nil, fmt.Errorf("record %q: %w", id, ErrNotFound)
		}
		return exactSearch(ctx, st, vs[0], sp.K, []string{id})
	}
	x, err := a.currentIndex(ctx, st, p)
	if err != nil {
		return nil, err
	}
	res, err := x.SearchID(id, sp.options())
	if err != nil {
		return nil, err
	}
	return neighbors(res), nil
}

// nearID returns the stored records within cosine distance within of the
// record id (id left out), at most k, with exact distances; the index reads
// only the vectors its code-error bounds cannot rule out (index.Near).
func (a *App) nearID(ctx context.Context, st *store.Store, id string, within float32, k int) ([]Neighbor, error) {
	x, err := a.currentIndex(ctx, st, Quiet)
	if err != nil {
		return nil, err
	}
	res, err := x.Near(id, within, k, 0)
	if err != nil {
		return nil, err
	}
	return neighbors(res), nil
}

// exactSearch compares v with every vector of the store (streaming, all
// cores, bounded memory) and returns the k nearest, leaving out excl.
func exactSearch(ctx context.Context, st *store.Store, v []float32, k int, excl []string) ([]Neighbor, error) {
	res, err := index.ExactSearch(ctx, scanSource(st, len(v)), [][]float32{v}, k, [][]string{excl})
	if err != nil {
		return nil, err
	}
	return neighbors(res[0]), nil
}

// searchVector returns the neighbours of a query vector.
func (a *App) searchVector(ctx context.Context, st *store.Store, v []float32, sp searchParams, p Progress) ([]Neighbor, error) {
	if sp.Exact && !exactFromIndex(st) {
		return exactSearch(ctx, st, v, sp.K, nil)
	}
	x, err := a.currentIndex(ctx, st, p)
	if err != nil {
		return nil, err
	}
	res, err := x.SearchWith(v, sp.options())
	if err != nil {
		return nil, err
	}
	return neighbors(res), nil
}

func neighbors(res []index.Result) []Neighbor {
	out := make([]Neighbor, len(res))
	for i, r := range res {
		out[i] = Neighbor{ID: r.ID, Distance: r.Distance}
	}
	return out
}

// indexRecall measures recall@k of the graph against exact search (from
// the codes), with up to n stored vectors (chosen with a fixed seed) as
// queries, and what the searches read.
func (a *App) indexRecall(ctx context.Context, st *store.Store, n, k, ef int, p Progress) (RecallResult, error) {
	x, err := a.currentIndex(ctx, st, p)
	if err != nil {
		return RecallResult{}, err
	}
	ids := x.IDs()
	if n <= 0 || n > len(ids) {
		n = len(ids)
	}
	r := rand.New(rand.NewPCG(42, 0))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	if ef <= 0 {
		ef = x.SearchEf()
	}
	rep, err := x.RecallIDsReport(ids[:n], index.SearchOptions{K: k, Ef: ef})
	if err != nil {
		return RecallResult{}, err
	}
	res := RecallResult{Queries: n, K: k, Ef: ef, Recall: rep.Recall, Vectors: x.Len(), Capped: rep.Capped}
	res.ReadMean, res.ReadP99 = meanP99(rep.Reads)
	res.ExactReadMean, res.ExactReadP99 = meanP99(rep.TruthReads)
	res.Tuning = tuningOf(x.Tuning())
	return res, nil
}

// meanP99 returns the mean and the 99th percentile (nearest rank) of xs.
func meanP99(xs []int) (float64, int) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0
	for _, v := range s {
		sum += v
	}
	return float64(sum) / float64(len(s)), s[(len(s)*99+99)/100-1]
}

// describeIndex reports on the index file without changing it; nil when
// there is none.
func describeIndex(db string, gen uint64) *IndexInfo {
	path := IndexPath(db)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	fi, err := index.Stat(path)
	if err != nil {
		return &IndexInfo{Path: path, Problem: indexFileProblem(err)}
	}
	return &IndexInfo{Path: path, Vectors: fi.Vectors, Generation: fi.Generation, Current: fi.Generation == gen, Tuning: tuningOf(fi.Tuning)}
}

// IndexTuning is types.IndexTuning.
type IndexTuning = types.IndexTuning

func tuningOf(t index.Tuning) *IndexTuning {
	if t.Ef == 0 {
		return nil
	}
	return &IndexTuning{Ef: t.Ef, Recall: t.Recall, Queries: t.Queries, Target: t.Target}
}

// indexFileProblem is what is wrong with an index file that does not open,
// without its path (the caller names it): "damaged: header checksum
// mismatch".
func indexFileProblem(err error) string {
	var fe *index.FileError
	if errors.As(err, &fe) {
		return fe.Problem()
	}
	return err.Error()
}

// checkIndexFile verifies the index file in full (header, checksums,
// dimension, generation, count) against the store and returns its problems.
// A missing file is not a problem: it is built on the next query.
func checkIndexFile(db string, man store.Manifest, gen uint64, count int) (*IndexInfo, []Problem) {
	path := IndexPath(db)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	bad := func(format string, a ...any) Problem {
		return Problem{Where: "index", Key: path, Reason: fmt.Sprintf(format, a...)}
	}
	err := index.Verify(path)
	var fi index.FileInfo
	if err == nil {
		fi, err = index.Stat(path)
	}
	if err != nil {
		p := indexFileProblem(err)
		return &IndexInfo{Path: path, Problem: p}, []Problem{bad("%s", p)}
	}
	g := fi.Generation
	info := &IndexInfo{Path: path, Vectors: fi.Vectors, Generation: g, Current: g == gen, Tuning: tuningOf(fi.Tuning)}
	var probs []Problem
	if fi.Dim != man.Dim {
		probs = append(probs, bad("dimension %d, the store's is %d", fi.Dim, man.Dim))
	}
	if g > gen {
		probs = append(probs, bad("generation %d is ahead of the store's %d (a file from another store?)", g, gen))
	}
	if g == gen && fi.Vectors != count {
		probs = append(probs, bad("holds %d vectors at the store's generation %d, the store %d", fi.Vectors, gen, count))
	}
	return info, probs
}

// putLive writes a batch of records and, when the App has its index in
// memory and up to date (a long-running App: vecimg serve), adds them to it,
// so that they are searchable at once without re-reading the store. Queries
// keep using the index while the batch goes in. Otherwise the next query
// brings the index up to date from the store, as before.
func (a *App) putLive(st *store.Store, recs []store.Record) error {
	s := &a.idx
	s.mu.Lock()
	gen0, err := st.Generation()
	live := err == nil && s.x != nil && s.gen == gen0
	if live {
		s.live++
	}
	x := s.x
	s.mu.Unlock()
	if !live {
		return st.Put(recs)
	}
	err = st.Put(recs)
	added := err == nil
	if added {
		ids := make([]string, len(recs))
		vecs := make([][]float32, len(recs))
		for i, r := range recs {
			ids[i], vecs[i] = r.ID, r.Vector
		}
		added = x.AddBatch(ids, vecs) == nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live--
	gen1, gerr := st.Generation()
	switch {
	case s.x != x || s.gen != gen0:
		// Someone reopened the index meanwhile; it reflects the store.
	case added && gerr == nil:
		s.gen = gen1
	default:
		s.x = nil // rebuilt from the store on the next query
	}
	return err
}

// SaveIndex writes the in-memory index to its file when the file is behind
// (a long-running App saves what putLive added; the CLI's next query then
// loads it instead of syncing from the store).
func (a *App) SaveIndex() error {
	s := &a.idx
	s.mu.Lock()
	x, gen := s.x, s.gen
	behind := x != nil && s.live == 0 && s.saved != gen
	s.mu.Unlock()
	if !behind {
		return nil
	}
	st, err := a.Store()
	if err != nil {
		return err
	}
	// Saved without holding s.mu: queries go on meanwhile (the index's own
	// read lock lets searches through).
	if err := x.Save(IndexPath(st.Path()), gen); err != nil {
		return err
	}
	s.mu.Lock()
	if s.x == x && s.gen == gen {
		s.saved = gen
	}
	s.mu.Unlock()
	return nil
}
