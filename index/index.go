package index

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Limits on what an index accepts.
const (
	// MaxIDLen is the longest id, in bytes.
	MaxIDLen = 4096
	// MaxDim is the largest vector dimension.
	MaxDim = 1 << 16
)

// noSlot marks "no node" (an empty index has no entry point).
const noSlot = math.MaxUint32

// maxLevel caps a node's top layer; with the default M a node reaches level
// 8 about once in 4·10⁹ insertions, so the cap never bites in practice.
const maxLevel = 31

// Index is an HNSW graph over unit-normalised vectors, with exact search
// beside it. Create one with New or Load. The zero value is an index of
// dimension 0 that rejects every vector until ReadFrom fills it.
//
// Storage: vectors live in one contiguous []float32 slab (slot i at
// [i*dim:(i+1)*dim]); bottom-layer links in one []uint32 array with a fixed
// stride (a count followed by up to 2*M neighbour slots); upper-layer links
// per node. Deleted slots are unlinked from the graph and reused by later
// adds.
type Index struct {
	mu  sync.RWMutex
	dim int
	cfg Config
	ml  float64

	vecs   []float32         // slot i: vecs[i*dim : (i+1)*dim], unit length
	ids    []string          // slot → id; "" marks a free slot
	slots  map[string]uint32 // id → slot
	levels []uint8           // slot → top layer
	l0     []uint32          // bottom-layer links, stride m0+1
	up     [][]uint32        // slot → layers 1..level, stride M+1 each
	free   []uint32          // free slots, reused last-in first-out

	entry    uint32 // entry point (a node on the top layer), noSlot if empty
	top      int    // top layer of the graph
	inserted uint64 // insertions so far: the level generator's counter
	gen      uint64 // store generation the index reflects (see Save)

	ctxPool sync.Pool // *searchCtx
	wctx    *searchCtx
}

// New returns an empty index for vectors of dimension dim. Zero fields of cfg
// take their defaults (see Config).
func New(dim int, cfg Config) (*Index, error) {
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("%w: dimension %d, want 1..%d", ErrDimension, dim, MaxDim)
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	x := &Index{dim: dim, cfg: c, ml: c.levelMult(), slots: map[string]uint32{}, entry: noSlot}
	return x, nil
}

// Dim returns the vector dimension.
func (x *Index) Dim() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.dim
}

// Config returns the configuration in use (defaults filled in).
func (x *Index) Config() Config {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.cfg
}

// Len returns the number of vectors in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.slots)
}

// Has reports whether id is in the index.
func (x *Index) Has(id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.slots[id]
	return ok
}

// IDs returns the ids in the index, sorted.
func (x *Index) IDs() []string {
	x.mu.RLock()
	out := make([]string, 0, len(x.slots))
	for id := range x.slots {
		out = append(out, id)
	}
	x.mu.RUnlock()
	slices.Sort(out)
	return out
}

// Vector returns a copy of the stored vector of id: the added vector scaled to
// unit length.
func (x *Index) Vector(id string) ([]float32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.slots[id]
	if !ok {
		return nil, false
	}
	return slices.Clone(x.vec(s)), true
}

// Add inserts vec under id, or replaces the vector already stored under id
// (an update is a delete followed by an insert; re-adding an identical vector
// changes nothing). The vector is copied and normalised to unit length; it
// must have Dim components, be finite and not all zero.
func (x *Index) Add(id string, vec []float32) error {
	if err := checkID(id); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	v := make([]float32, x.dim)
	if err := normalise(v, vec, x.dim); err != nil {
		return fmt.Errorf("add %q: %w", id, err)
	}
	if s, ok := x.slots[id]; ok {
		if slices.Equal(x.vec(s), v) {
			return nil
		}
		x.remove(s)
	}
	s, err := x.alloc()
	if err != nil {
		return fmt.Errorf("add %q: %w", id, err)
	}
	copy(x.vec(s), v)
	x.ids[s] = id
	x.slots[id] = s
	level := levelFor(x.cfg.Seed, x.inserted, x.ml)
	x.inserted++
	x.levels[s] = uint8(level)
	if level > 0 {
		x.up[s] = make([]uint32, level*(x.cfg.M+1))
	}
	x.insert(s, level)
	return nil
}

// Delete removes id and relinks its neighbours. It reports whether id was in
// the index.
func (x *Index) Delete(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slots[id]
	if !ok {
		return false
	}
	x.remove(s)
	return true
}

func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty id", ErrInvalidID)
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("%w: id of %d bytes, at most %d allowed", ErrInvalidID, len(id), MaxIDLen)
	}
	return nil
}

// vec returns the stored vector of slot s (no copy).
func (x *Index) vec(s uint32) []float32 {
	i := int(s) * x.dim
	return x.vecs[i : i+x.dim : i+x.dim]
}

// alloc returns a free slot with empty links, growing the arrays if needed.
func (x *Index) alloc() (uint32, error) {
	if n := len(x.free); n > 0 {
		s := x.free[n-1]
		x.free = x.free[:n-1]
		return s, nil
	}
	n := len(x.ids)
	if n >= noSlot {
		return 0, fmt.Errorf("%w: %d slots in use", ErrFull, n)
	}
	stride := x.cfg.m0() + 1
	if cap(x.ids) <= n || cap(x.vecs) < (n+1)*x.dim || cap(x.l0) < (n+1)*stride {
		x.reserve(max(4, n)) // double
	}
	x.vecs = x.vecs[:(n+1)*x.dim]
	x.ids = append(x.ids, "")
	x.levels = append(x.levels, 0)
	x.up = append(x.up, nil)
	x.l0 = x.l0[:(n+1)*stride]
	clear(x.l0[n*stride:])
	return uint32(n), nil
}

// reserve makes room for n more slots than are in use, so that adding them
// does not copy the arrays again.
func (x *Index) reserve(n int) {
	n -= len(x.free)
	if n <= 0 {
		return
	}
	x.vecs = slices.Grow(x.vecs, n*x.dim)
	x.ids = slices.Grow(x.ids, n)
	x.levels = slices.Grow(x.levels, n)
	x.up = slices.Grow(x.up, n)
	x.l0 = slices.Grow(x.l0, n*(x.cfg.m0()+1))
}

// levelFor draws the top layer of the n-th insertion: floor(−ln(U)·mL) with
// U uniform in (0, 1] derived from (seed, n) by SplitMix64, so the level
// sequence survives a save and load.
func levelFor(seed, n uint64, ml float64) int {
	z := seed + (n+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	u := (float64(z>>11) + 1) / (1 << 53) // (0, 1]
	l := int(-math.Log(u) * ml)
	return min(l, maxLevel)
}
