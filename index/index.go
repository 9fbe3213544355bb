package index

import (
	"encoding/binary"
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

// Index is an HNSW graph walked on compact codes, with exact re-ranking
// through a VectorFetcher. Create one with New, or open one with Open or
// OpenFile. Close releases the file mapping.
//
// Storage is a set of flat per-slot arrays (codes, biases, levels, fixed
// stride bottom-layer links, offsets of upper-layer links, id references,
// versions) plus an open-addressing id table. An index opened from a file
// has every array pointing into the read-only memory map; the first change
// (Add, Delete, AddBatch) copies them to the heap, after which the mapping
// is released. Deleted slots are unlinked and reused by later adds.
type Index struct {
	mu  sync.RWMutex
	dim int
	cfg Config
	ml  float64
	cb  *codebook // nil until trained

	codes   []int8    // slot s: row codes[s*r : (s+1)*r], r = rowLen(cdim) (see rowLen)
	fine    []int8    // slot s: row of the same length: fine code, then its error norm (see refine)
	errs    []float32 // slot s: errs[2s] = |residual|, errs[2s+1] = |quantisation error| (see codeErrors)
	levels  []uint8   // slot → top layer
	l0      []uint32  // bottom-layer links, stride m0+1 (count, then slots)
	upOff   []uint32  // slot → offset of its upper-layer blocks in upLinks
	upLinks []uint32  // per node with level > 0: level blocks of M+1
	idRef   []uint64  // slot → offset<<16 | length into idBlob; 0 = free
	idBlob  []byte
	vers    []uint64 // slot → version of the vector in the source
	htab    []uint32 // id table: 0 empty, tomb, or slot+1
	hfill   int      // used table entries, tombstones included
	free    []uint32 // free slots, reused last-in first-out
	live    int

	entry    uint32 // entry point (a node on the top layer), noSlot if empty
	top      int    // top layer of the graph
	inserted uint64 // insertions so far: the level generator's counter
	gen      uint64 // store generation the index reflects
	tune     Tuning // the search breadth the index chose for itself (tune.go)

	// Drift: |y|² and |z|² summed over vectors encoded since training.
	driftN          int
	driftYY, driftZ float64

	fetch VectorFetcher // exact vectors for re-ranking; may be nil
	scan  VectorSource  // exact search; may be nil

	mm   []byte   // the file mapping the arrays point into; nil when on the heap
	mref *mapping // releases mm once (own, Close, or when x is garbage)
	path string

	ctxPool sync.Pool // *searchCtx
	wctx    *searchCtx

	// While link runs: the distance from slot s to each of its bottom-layer
	// neighbours (l0d[s*m0+i] for the i-th), valid where l0dOK[s], so that
	// re-selecting a full list recomputes little (linkdist.go).
	l0d   []float32
	l0f   []uint8 // the heuristic's decision on each of those links
	l0dOK []bool
}

const tomb = math.MaxUint32

// New returns an empty index for vectors of dimension dim. Zero fields of cfg
// take their defaults (see Config). Its codebook is trained on the first
// AddBatch (or by Train).
func New(dim int, cfg Config) (*Index, error) {
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("%w: dimension %d, want 1..%d", ErrDimension, dim, MaxDim)
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Index{dim: dim, cfg: c, ml: c.levelMult(), entry: noSlot}, nil
}

// Dim returns the vector dimension.
func (x *Index) Dim() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.dim
}

// CodeDim returns the number of int8 components per code (0 before the
// codebook is trained).
func (x *Index) CodeDim() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.cb == nil {
		return 0
	}
	return x.cb.cdim
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
	return x.live
}

// Has reports whether id is in the index.
func (x *Index) Has(id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.lookup(id)
	return ok
}

// IDs returns the ids in the index, sorted.
func (x *Index) IDs() []string {
	x.mu.RLock()
	out := make([]string, 0, x.live)
	for s := range x.idRef {
		if id := x.idBytes(uint32(s)); len(id) > 0 {
			out = append(out, string(id))
		}
	}
	x.mu.RUnlock()
	slices.Sort(out)
	return out
}

// SetFetcher sets where re-ranking reads exact vectors (usually the store).
// Without one, graph searches return approximate distances.
func (x *Index) SetFetcher(f VectorFetcher) {
	x.mu.Lock()
	x.fetch = f
	x.mu.Unlock()
}

// SetSource sets the vectors that Method Exact scans (usually the store).
func (x *Index) SetSource(s VectorSource) {
	x.mu.Lock()
	x.scan = s
	x.mu.Unlock()
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

// slots returns the number of slots (live and free).
func (x *Index) slots() int { return len(x.levels) }

// rowLen is the bytes a slot's row of codes takes for codes of cdim
// components: the components, padding to a multiple of 4, then the bias
// b = μ·(x − μ) as a little-endian float32. A code distance needs both, so
// keeping them in one row makes it touch one run of bytes: at the default
// code dimension (252) a row is 256 bytes, four cache lines, where a
// separate bias array cost a fifth line per distance (15% of a 1M walk's
// time on an AMD EPYC; docs/scale.md).
func rowLen(cdim int) int { return (cdim+3)&^3 + 4 }

// kernLen is how many bytes of a row the distance kernels read: cdim
// rounded up to the largest of 32, 16 or 8 that stays within the row, so
// that the assembly covers the whole code (at 252 components, 256 bytes:
// the integer kernel took 39 ns with 28 components left to the Go loop,
// against 11 ns for 256, on an AMD EPYC). A query holds zeros beyond cdim,
// so the padding and the float32 at the row's end add nothing.
func kernLen(cdim int) int {
	for _, m := range []int{32, 16, 8} {
		if n := (cdim + m - 1) / m * m; n <= rowLen(cdim) {
			return n
		}
	}
	return cdim
}

// code returns the code of slot s.
func (x *Index) code(s uint32) []int8 {
	c := x.cb.cdim
	i := int(s) * rowLen(c)
	return x.codes[i : i+c : i+c]
}

// kcode returns the first kernLen bytes of slot s's row: its code and what
// follows it, for the kernels (with a query of that length, see query).
func (x *Index) kcode(s uint32) []int8 {
	i := int(s) * rowLen(x.cb.cdim)
	return x.codes[i : i+x.cb.klen : i+x.cb.klen]
}

// bias returns the bias of slot s, μ·(x − μ), kept at the end of its row.
func (x *Index) bias(s uint32) float32 {
	r := rowLen(x.cb.cdim)
	i := (int(s)+1)*r - 4
	return math.Float32frombits(binary.LittleEndian.Uint32(bytesOf(x.codes[i : i+4])))
}

// fineCode returns the fine code of slot s (see refine).
func (x *Index) fineCode(s uint32) []int8 {
	c := x.cb.cdim
	i := int(s) * rowLen(c)
	return x.fine[i : i+c : i+c]
}

// kfine is kcode for the fine rows.
func (x *Index) kfine(s uint32) []int8 {
	i := int(s) * rowLen(x.cb.cdim)
	return x.fine[i : i+x.cb.klen : i+x.cb.klen]
}

// fineErr returns the norm of the quantisation error that the fine code of
// slot s leaves, kept at the end of its row.
func (x *Index) fineErr(s uint32) float32 {
	i := (int(s)+1)*rowLen(x.cb.cdim) - 4
	return math.Float32frombits(binary.LittleEndian.Uint32(bytesOf(x.fine[i : i+4])))
}

func (x *Index) setFineErr(s uint32, e float32) {
	i := (int(s)+1)*rowLen(x.cb.cdim) - 4
	binary.LittleEndian.PutUint32(bytesOf(x.fine[i:i+4]), math.Float32bits(e))
}

// setBias sets the bias of slot s.
func (x *Index) setBias(s uint32, b float32) {
	r := rowLen(x.cb.cdim)
	i := (int(s)+1)*r - 4
	binary.LittleEndian.PutUint32(bytesOf(x.codes[i:i+4]), math.Float32bits(b))
}

// idBytes returns the id of slot s (no copy; empty for a free slot or a
// reference outside the blob).
func (x *Index) idBytes(s uint32) []byte {
	r := x.idRef[s]
	off, n := r>>16, r&0xffff
	if n == 0 || off+n > uint64(len(x.idBlob)) {
		return nil
	}
	return x.idBlob[off : off+n]
}

func (x *Index) idOf(s uint32) string { return string(x.idBytes(s)) }

// hashID is 64-bit FNV-1a: the id table is saved, so the hash must not
// depend on the process.
func hashID(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// lookup returns the slot of id.
func (x *Index) lookup(id string) (uint32, bool) {
	if len(x.htab) == 0 {
		return 0, false
	}
	mask := uint64(len(x.htab) - 1)
	for i, probes := hashID(id)&mask, 0; probes < len(x.htab); i, probes = (i+1)&mask, probes+1 {
		e := x.htab[i]
		switch {
		case e == 0:
			return 0, false
		case e == tomb:
			continue
		}
		s := e - 1
		if int(s) < len(x.idRef) && string(x.idBytes(s)) == id {
			return s, true
		}
	}
	return 0, false
}

// tabInsert records id → s; the table must have room (see tabReserve).
func (x *Index) tabInsert(id string, s uint32) {
	mask := uint64(len(x.htab) - 1)
	for i := hashID(id) & mask; ; i = (i + 1) & mask {
		if e := x.htab[i]; e == 0 || e == tomb {
			if e == 0 {
				x.hfill++
			}
			x.htab[i] = s + 1
			return
		}
	}
}

// tabDelete removes id (at slot s) from the table.
func (x *Index) tabDelete(id string, s uint32) {
	mask := uint64(len(x.htab) - 1)
	for i, probes := hashID(id)&mask, 0; probes < len(x.htab); i, probes = (i+1)&mask, probes+1 {
		e := x.htab[i]
		if e == 0 {
			return
		}
		if e == s+1 {
			x.htab[i] = tomb
			return
		}
	}
}

// tabReserve makes room for n more entries, rebuilding the table (without
// tombstones) at twice the live size or more when it would pass half full.
func (x *Index) tabReserve(n int) {
	if len(x.htab) > 0 && 2*(x.hfill+n) <= len(x.htab) {
		return
	}
	size := 16
	for size < 2*(x.live+n)+2 {
		size *= 2
	}
	x.htab = make([]uint32, size)
	x.hfill = 0
	for s := range x.idRef {
		if id := x.idBytes(uint32(s)); len(id) > 0 {
			x.tabInsert(string(id), uint32(s))
		}
	}
}

// own copies every array that points into the file mapping to the heap and
// releases the mapping, so that the index can change. The caller holds the
// write lock.
func (x *Index) own() error {
	if x.mm == nil {
		return nil
	}
	x.codes = slices.Clone(x.codes)
	x.fine = slices.Clone(x.fine)
	x.errs = slices.Clone(x.errs)
	x.levels = slices.Clone(x.levels)
	x.l0 = slices.Clone(x.l0)
	x.upOff = slices.Clone(x.upOff)
	x.upLinks = slices.Clone(x.upLinks)
	x.idRef = slices.Clone(x.idRef)
	x.idBlob = slices.Clone(x.idBlob)
	x.vers = slices.Clone(x.vers)
	x.htab = slices.Clone(x.htab)
	x.free = slices.Clone(x.free)
	if x.cb != nil {
		cb := *x.cb
		cb.mean = slices.Clone(cb.mean)
		cb.basis = slices.Clone(cb.basis)
		cb.step = slices.Clone(cb.step)
		cb.variance = slices.Clone(cb.variance)
		cb.derive()
		x.cb = &cb
	}
	x.mm = nil
	return x.mref.release()
}

// mapping owns a file mapping and releases it once: through own or Close,
// or through a cleanup when the Index that uses it becomes unreachable (an
// index dropped without Close does not leak its mapping). No slice into the
// mapping ever leaves the Index: ids and results are copies.
type mapping struct {
	once sync.Once
	b    []byte
	err  error
}

func (m *mapping) release() error {
	if m == nil {
		return nil
	}
	m.once.Do(func() { m.err = unmap(m.b); m.b = nil })
	return m.err
}

// alloc returns a free slot for id with empty links, growing the arrays if
// needed, and records id. The caller holds the write lock and has called
// own and tabReserve.
func (x *Index) alloc(id string, ver uint64) (uint32, error) {
	var s uint32
	if n := len(x.free); n > 0 {
		s = x.free[n-1]
		x.free = x.free[:n-1]
	} else {
		n := x.slots()
		if n >= noSlot-1 {
			return 0, fmt.Errorf("%w: %d slots in use", ErrFull, n)
		}
		s = uint32(n)
		x.codes = append(x.codes, make([]int8, rowLen(x.cb.cdim))...)
		x.fine = append(x.fine, make([]int8, rowLen(x.cb.cdim))...)
		x.errs = append(x.errs, 0, 0)
		x.levels = append(x.levels, 0)
		x.l0 = append(x.l0, make([]uint32, x.cfg.m0()+1)...)
		x.upOff = append(x.upOff, 0)
		x.idRef = append(x.idRef, 0)
		x.vers = append(x.vers, 0)
	}
	off := uint64(len(x.idBlob))
	x.idBlob = append(x.idBlob, id...)
	x.idRef[s] = off<<16 | uint64(len(id))
	x.vers[s] = ver
	x.tabInsert(id, s)
	x.live++
	return s, nil
}

// reserve makes room for n more slots.
func (x *Index) reserve(n int) {
	n -= len(x.free)
	if n <= 0 || x.cb == nil {
		return
	}
	x.codes = slices.Grow(x.codes, n*rowLen(x.cb.cdim))
	x.fine = slices.Grow(x.fine, n*rowLen(x.cb.cdim))
	x.errs = slices.Grow(x.errs, 2*n)
	x.levels = slices.Grow(x.levels, n)
	x.l0 = slices.Grow(x.l0, n*(x.cfg.m0()+1))
	x.upOff = slices.Grow(x.upOff, n)
	x.idRef = slices.Grow(x.idRef, n)
	x.vers = slices.Grow(x.vers, n)
}

// setLevel gives slot s its top layer and room for its upper-layer links.
func (x *Index) setLevel(s uint32, level int) {
	x.levels[s] = uint8(level)
	x.upOff[s] = 0
	if level > 0 {
		x.upOff[s] = uint32(len(x.upLinks))
		x.upLinks = append(x.upLinks, make([]uint32, level*(x.cfg.M+1))...)
	}
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
