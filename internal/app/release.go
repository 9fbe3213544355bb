package app

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/vecimg/vecimg/internal/mapped"
	"github.com/vecimg/vecimg/store"
)

// releaseBytes is how many bytes of vectors a releasing scan reads between
// two mapped.Release calls (a variable so that tests can make it small).
var releaseBytes = 64 << 20

// releaseRandomBytes is the resident memory that random reads (re-ranking,
// tuning, duplicate checks) may map between two releases. A random read
// maps more than its vector: the kernel maps the page-cache pages around a
// faulting address too (fault-around, 64 KiB by default on Linux), so each
// read is counted as its vector plus faultAround. Counting vector bytes
// alone let a 1M × 4096 build's tuning reach 4.8 GB resident. Releases are
// not free either: a release drops every mapped value-log page, and the
// vectors later queries read again then fault in anew (at a release every
// 64 MiB of vectors, about 22 queries of 1M × 4096 at ef 384, warm queries
// through the app took 5.5 ms against 3.3 ms for the index alone).
var releaseRandomBytes = 1 << 30

// faultAround is what a random read is counted to map beyond its vector.
const faultAround = 64 << 10

// randomReadsPerRelease is how many vectors of dim float32s random reads
// fetch between two releases.
func randomReadsPerRelease(dim int) int64 {
	return int64(max(releaseRandomBytes/(4*max(dim, 1)+faultAround), 1))
}

// pageReleaser drops the store's scanned value-log pages from this
// process's RSS every releaseBytes of vectors (package mapped), so a full
// scan of a 16 GB store does not show as 16 GB resident. Only safe while no
// write can remap the value log: under a.writeMu, or on a read-only store
// (the store's lock keeps writers in other processes out).
// Its tick may be called from several goroutines at once (a scan in parts).
type pageReleaser struct {
	dir   string
	every int64
	n     atomic.Int64
}

func newPageReleaser(st *store.Store, dim int) *pageReleaser {
	return &pageReleaser{dir: st.Path(), every: int64(max(releaseBytes/(4*max(dim, 1)), 1))}
}

// tick counts one scanned vector and releases every r.every of them.
func (r *pageReleaser) tick() error {
	if r.n.Add(1)%r.every != 0 {
		return nil
	}
	return r.release()
}

func (r *pageReleaser) release() error {
	if _, err := mapped.Release(r.dir, ".vlog"); err != nil {
		return fmt.Errorf("scanning %s: %w", r.dir, err)
	}
	return nil
}

// releasingStore is the store as an index source whose full scans release
// their pages as they go (index builds, exact search), and whose random
// reads (re-ranking, duplicate checks) do too, every randomReadsPerRelease
// vectors read in all. Use it only where a pageReleaser is safe (see above).
type releasingStore struct {
	*store.Store
	dim     int
	fetched *atomic.Int64 // vectors read by Vectors so far
}

func newReleasingStore(st *store.Store, dim int) releasingStore {
	return releasingStore{Store: st, dim: dim, fetched: new(atomic.Int64)}
}

func (s releasingStore) Vectors(ids []string, dst [][]float32) error {
	// Values read by position (store.UsePositions) map nothing: only the
	// others count towards a release.
	looked, err := s.Store.VectorsMapped(ids, dst)
	if err != nil || looked == 0 {
		return err
	}
	mapped := int64(looked)
	every := randomReadsPerRelease(s.dim)
	n := s.fetched.Add(mapped)
	if n/every != (n-mapped)/every {
		return newPageReleaser(s.Store, s.dim).release()
	}
	return nil
}

// ScanVectorsParts is the store's scan in parts (exact search reads with
// it), releasing the scanned value-log pages every releaseBytes of vectors
// and at the end (pageReleaser); a release drops pages the other parts may
// still read, which they then fault in again from the page cache.
func (s releasingStore) ScanVectorsParts(ctx context.Context, parts int, fn func(part int, id string, v []float32) error) error {
	r := newPageReleaser(s.Store, s.dim)
	err := s.Store.ScanVectorsParts(ctx, parts, func(p int, id string, v []float32) error {
		if err := fn(p, id, v); err != nil {
			return err
		}
		return r.tick()
	})
	if err == nil {
		err = r.release()
	}
	return err
}

// ScanVectors is ScanVectorsParts in one part (the store's ScanVectors).
func (s releasingStore) ScanVectors(ctx context.Context, fn func(id string, v []float32) error) error {
	return s.ScanVectorsParts(ctx, 1, func(_ int, id string, v []float32) error { return fn(id, v) })
}
