package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"runtime"
	"unsafe"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// Index file format, version 5. All integers are little-endian. The file is
// memory-mapped: every array is a section, stored exactly as it lies in
// memory and 64-byte aligned, so opening parses only the header and the
// codebook, and a query reads only the pages it visits.
//
//	header (512 bytes)
//	  0  magic "VECIMGIX", u32 version (5), u32 metric (0 = cosine)
//	 16  u32 dim, u32 code dim, u32 slots, u32 live vectors
//	 32  u64 store generation
//	 40  u32 M, EfConstruction, EfSearch, i32 ExactBelow, u32 Rerank,
//	     u32 TrainSample, u32 CodeDim (config)
//	 68  u32 entry slot (0xFFFFFFFF when empty), u32 top layer
//	 76  u32 id table size, u32 id table fill
//	 84  u32 free slots, u32 zero
//	 92  u64 Seed, u64 insertions so far (the level generator's counter)
//	108  u64 drift count, f64 drift Σ|y|², f64 drift Σ|z|²
//	132  13 sections × (u64 offset, u64 length, u32 CRC-32C, u32 zero)
//	444  u32 CRC-32C of bytes 0..443
//	sections, in this order:
//	  codebook  u64 sample size, f64 mean |y|², f64 dropped share,
//	            f32 |μ|², u32 1 if the projection is the identity,
//	            dim × f32 mean, cdim × f32 step, cdim × f32 variance,
//	            cdim × dim × f32 basis (absent for the identity)
//	  codes     slots × rows of rowLen(cdim) bytes: cdim × i8, zero
//	            padding to a multiple of 4, f32 bias μ·(x − μ)
//	  fine      slots × rows of rowLen(cdim) bytes: cdim × i8 fine code,
//	            zero padding, f32 norm of the error it leaves
//	  errs      slots × 2 × f32: residual norm, quantisation error norm
//	  levels    slots × u8
//	  l0        slots × (2M+1) × u32: count, then neighbour slots
//	  upoff     slots × u32: offset in uplinks of the node's layer-1 block
//	  uplinks   u32 blocks of M+1 (count, neighbours), level blocks per node
//	  idref     slots × u64: offset<<16 | length in idblob (0 = free slot)
//	  idblob    id bytes
//	  vers      slots × u64 source versions
//	  htab      table size × u32: 0 empty, 0xFFFFFFFF deleted, slot+1
//	  free      free slots × u32
//
// Version 4 added the tuning; version 5 moved the bias, a section of its
// own before, into each code's row, and added the fine codes. Files of
// earlier versions are rebuilt.
//
// Open checks the header's checksum, every section's bounds and size, and
// the codebook's checksum. The other sections are checked by Verify (which
// `vecimg check` runs); a damaged byte in them can give wrong neighbours
// but never a crash, since every link, offset and slot read from the file
// is bounds-checked where it is used.
const (
	fileMagic   = "VECIMGIX"
	fileVersion = 5
	headerLen   = 512
	headerCRCAt = 508
	tuneAt      = 444
	metricCos   = 0
	nSections   = 13
	sectionAt   = 132
)

const (
	secCodebook = iota
	secCodes
	secFine
	secErrs
	secLevels
	secL0
	secUpOff
	secUpLinks
	secIDRef
	secIDBlob
	secVers
	secHtab
	secFree
)

var sectionNames = [nSections]string{"codebook", "codes", "fine", "errs", "levels", "l0", "upoff", "uplinks", "idref", "idblob", "vers", "htab", "free"}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// nativeLittleEndian: the file's byte layout is the memory layout.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Generation returns the store generation recorded with the index.
func (x *Index) Generation() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.gen
}

// SetGeneration sets the store generation that Save records.
func (x *Index) SetGeneration(g uint64) {
	x.mu.Lock()
	x.gen = g
	x.mu.Unlock()
}

func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

func sliceOf[T any](b []byte) []T {
	var z T
	n := len(b) / int(unsafe.Sizeof(z))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// bytes encodes the codebook section.
func (cb *codebook) bytes() []byte {
	le := binary.LittleEndian
	b := make([]byte, 0, 32+4*(cb.dim+2*cb.cdim+len(cb.basis)))
	b = le.AppendUint64(b, uint64(cb.trainN))
	b = le.AppendUint64(b, math.Float64bits(cb.trainVar))
	b = le.AppendUint64(b, math.Float64bits(cb.trainRes))
	b = le.AppendUint32(b, math.Float32bits(cb.mu2))
	id := uint32(0)
	if cb.identity() {
		id = 1
	}
	b = le.AppendUint32(b, id)
	b = append(b, bytesOf(cb.mean)...)
	b = append(b, bytesOf(cb.step)...)
	b = append(b, bytesOf(cb.variance)...)
	return append(b, bytesOf(cb.basis)...)
}

// Save writes the index to path atomically (temporary file, fsync, rename,
// directory sync), so path holds either the old or the new index, never a
// mix, even if the process is killed. generation is the store generation
// the index reflects. Temporary files a killed save left beside path are
// removed first.
func (x *Index) Save(path string, generation uint64) error {
	if !nativeLittleEndian {
		return fmt.Errorf("save index %s: big-endian machines are not supported", path)
	}
	fsutil.RemoveStaleTemps(path)
	x.mu.RLock()
	err := fsutil.WriteFileAtomic(path, func(w io.Writer) error { return x.writeLocked(w, generation) })
	x.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("save index: %w", err)
	}
	x.SetGeneration(generation)
	return nil
}

// writeLocked writes the file; the caller holds a lock.
func (x *Index) writeLocked(w io.Writer, gen uint64) error {
	if x.cb == nil {
		return fmt.Errorf("%w: the index has no codebook yet (add vectors first)", ErrNoSource)
	}
	secs := [nSections][]byte{
		x.cb.bytes(), bytesOf(x.codes), bytesOf(x.fine), bytesOf(x.errs), x.levels, bytesOf(x.l0), bytesOf(x.upOff),
		bytesOf(x.upLinks), bytesOf(x.idRef), x.idBlob, bytesOf(x.vers), bytesOf(x.htab), bytesOf(x.free),
	}
	var h [headerLen]byte
	le := binary.LittleEndian
	copy(h[0:], fileMagic)
	le.PutUint32(h[8:], fileVersion)
	le.PutUint32(h[12:], metricCos)
	le.PutUint32(h[16:], uint32(x.dim))
	le.PutUint32(h[20:], uint32(x.cb.cdim))
	le.PutUint32(h[24:], uint32(x.slots()))
	le.PutUint32(h[28:], uint32(x.live))
	le.PutUint64(h[32:], gen)
	le.PutUint32(h[40:], uint32(x.cfg.M))
	le.PutUint32(h[44:], uint32(x.cfg.EfConstruction))
	le.PutUint32(h[48:], uint32(x.cfg.EfSearch))
	le.PutUint32(h[52:], uint32(int32(x.cfg.ExactBelow)))
	le.PutUint32(h[56:], uint32(x.cfg.Rerank))
	le.PutUint32(h[60:], uint32(x.cfg.TrainSample))
	le.PutUint32(h[64:], uint32(x.cfg.CodeDim))
	le.PutUint32(h[68:], x.entry)
	le.PutUint32(h[72:], uint32(x.top))
	le.PutUint32(h[76:], uint32(len(x.htab)))
	le.PutUint32(h[80:], uint32(x.hfill))
	le.PutUint32(h[84:], uint32(len(x.free)))
	le.PutUint64(h[92:], x.cfg.Seed)
	le.PutUint64(h[100:], x.inserted)
	le.PutUint64(h[108:], uint64(x.driftN))
	le.PutUint64(h[116:], math.Float64bits(x.driftYY))
	le.PutUint64(h[124:], math.Float64bits(x.driftZ))
	le.PutUint32(h[tuneAt:], uint32(x.tune.Ef))
	le.PutUint32(h[tuneAt+4:], uint32(x.tune.Queries))
	le.PutUint64(h[tuneAt+8:], math.Float64bits(x.tune.Recall))
	le.PutUint64(h[tuneAt+16:], math.Float64bits(x.tune.Target))
	le.PutUint64(h[tuneAt+24:], uint64(x.tune.Live))
	off := uint64(headerLen)
	crcs := make([]uint32, nSections)
	parallelFor(nSections, func(i int) { crcs[i] = crc32.Checksum(secs[i], castagnoli) })
	for i, s := range secs {
		at := sectionAt + 24*i
		le.PutUint64(h[at:], off)
		le.PutUint64(h[at+8:], uint64(len(s)))
		le.PutUint32(h[at+16:], crcs[i])
		off = align64(off + uint64(len(s)))
	}
	le.PutUint32(h[headerCRCAt:], crc32.Checksum(h[:headerCRCAt], castagnoli))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	var pad [64]byte
	for i, s := range secs {
		for b := s; len(b) > 0; {
			n := min(len(b), 1<<22)
			if _, err := w.Write(b[:n]); err != nil {
				return err
			}
			b = b[n:]
		}
		if i < nSections-1 {
			if _, err := w.Write(pad[:align64(uint64(len(s)))-uint64(len(s))]); err != nil {
				return err
			}
		}
	}
	return nil
}

func align64(n uint64) uint64 { return (n + 63) &^ 63 }

// header is the parsed, checked file header.
type header struct {
	dim, cdim, slots, live int
	gen                    uint64
	cfg                    Config
	entry                  uint32
	top                    int
	htab, hfill, free      int
	inserted               uint64
	driftN                 int
	driftYY, driftZ        float64
	tune                   Tuning
	sec                    [nSections]struct {
		off, len uint64
		crc      uint32
	}
}

// FileInfo describes an index file from its header alone.
type FileInfo struct {
	Vectors    int    // live vectors
	Dim        int    // vector dimension
	CodeDim    int    // int8 components per code
	Generation uint64 // store generation the file reflects
	Size       int64  // bytes
	Tuning     Tuning // the search breadth the index chose (Ef 0: none)
}

// Stat reads the header of the index file at path (512 bytes) and checks
// its checksum and layout, without mapping the file.
func Stat(path string) (FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileInfo{}, fmt.Errorf("index file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return FileInfo{}, fmt.Errorf("index file %s: %w", path, err)
	}
	var b [headerLen]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return FileInfo{}, atFile("index file", path, truncated(err))
	}
	h, err := parseHeader(b[:], st.Size())
	if err != nil {
		return FileInfo{}, atFile("index file", path, err)
	}
	return FileInfo{Vectors: h.live, Dim: h.dim, CodeDim: h.cdim, Generation: h.gen, Size: st.Size(), Tuning: h.tune}, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return corruptf("file is truncated")
	}
	return err
}

// parseHeader checks the header b of a file of size bytes.
func parseHeader(b []byte, size int64) (*header, error) {
	le := binary.LittleEndian
	if len(b) < 12 || size < headerLen {
		return nil, corruptf("file is truncated (%d bytes)", size)
	}
	if string(b[:8]) != fileMagic {
		return nil, corruptf("not a vecimg index file (bad magic)")
	}
	if v := le.Uint32(b[8:]); v != fileVersion {
		return nil, &FileError{Reason: fmt.Sprintf("file has format version %d, this build reads version %d", v, fileVersion), Err: ErrVersion}
	}
	if crc32.Checksum(b[:headerCRCAt], castagnoli) != le.Uint32(b[headerCRCAt:]) {
		return nil, corruptf("header checksum mismatch")
	}
	if m := le.Uint32(b[12:]); m != metricCos {
		return nil, corruptf("unknown metric %d", m)
	}
	h := &header{
		dim: int(le.Uint32(b[16:])), cdim: int(le.Uint32(b[20:])),
		slots: int(le.Uint32(b[24:])), live: int(le.Uint32(b[28:])),
		gen: le.Uint64(b[32:]),
		cfg: Config{
			M: int(le.Uint32(b[40:])), EfConstruction: int(le.Uint32(b[44:])), EfSearch: int(le.Uint32(b[48:])),
			ExactBelow: int(int32(le.Uint32(b[52:]))), Rerank: int(le.Uint32(b[56:])),
			TrainSample: int(le.Uint32(b[60:])), CodeDim: int(le.Uint32(b[64:])), Seed: le.Uint64(b[92:]),
		},
		entry: le.Uint32(b[68:]), top: int(le.Uint32(b[72:])),
		htab: int(le.Uint32(b[76:])), hfill: int(le.Uint32(b[80:])), free: int(le.Uint32(b[84:])),
		inserted: le.Uint64(b[100:]),
		driftN:   int(le.Uint64(b[108:])), driftYY: math.Float64frombits(le.Uint64(b[116:])),
		driftZ: math.Float64frombits(le.Uint64(b[124:])),
		tune: Tuning{
			Ef: int(le.Uint32(b[tuneAt:])), Queries: int(le.Uint32(b[tuneAt+4:])),
			Recall: math.Float64frombits(le.Uint64(b[tuneAt+8:])), Target: math.Float64frombits(le.Uint64(b[tuneAt+16:])),
			Live: int(le.Uint64(b[tuneAt+24:])),
		},
	}
	for i := range h.sec {
		at := sectionAt + 24*i
		h.sec[i].off, h.sec[i].len, h.sec[i].crc = le.Uint64(b[at:]), le.Uint64(b[at+8:]), le.Uint32(b[at+16:])
	}
	c, err := h.cfg.withDefaults()
	switch {
	case err != nil || c != h.cfg || h.cfg.ExactBelow == 0:
		return nil, corruptf("config out of range: %+v", h.cfg)
	case h.dim < 1 || h.dim > MaxDim || h.cdim < 1 || h.cdim > h.dim:
		return nil, corruptf("dimension %d, code dimension %d", h.dim, h.cdim)
	case h.live > h.slots || h.slots >= noSlot-1 || h.free > h.slots || h.live+h.free != h.slots:
		return nil, corruptf("%d live vectors and %d free slots in %d slots", h.live, h.free, h.slots)
	case (h.live == 0) != (h.entry == noSlot) || (h.live > 0 && int(h.entry) >= h.slots) || h.top > maxLevel:
		return nil, corruptf("entry point %d, top layer %d for %d vectors", h.entry, h.top, h.live)
	case h.tune.Ef < 0 || h.tune.Ef > maxEf || !(h.tune.Recall >= 0 && h.tune.Recall <= 1) || !(h.tune.Target >= 0 && h.tune.Target <= 1) || h.tune.Live < 0:
		return nil, corruptf("tuning out of range: %+v", h.tune)
	case h.htab&(h.htab-1) != 0 || h.hfill > h.htab || (h.live > 0 && 2*h.live > h.htab):
		return nil, corruptf("id table of %d entries for %d vectors", h.htab, h.live)
	}
	n := uint64(h.slots)
	want := [nSections]uint64{
		secCodes: n * uint64(rowLen(h.cdim)), secFine: n * uint64(rowLen(h.cdim)), secErrs: 8 * n, secLevels: n, secL0: 4 * n * uint64(h.cfg.m0()+1),
		secUpOff: 4 * n, secIDRef: 8 * n, secVers: 8 * n, secHtab: 4 * uint64(h.htab), secFree: 4 * uint64(h.free),
	}
	next := uint64(headerLen)
	for i, s := range h.sec {
		if s.off != next || s.off+s.len > uint64(size) || s.len > uint64(size) {
			return nil, corruptf("section %s at %d+%d does not fit the %d-byte file (truncated?)", sectionNames[i], s.off, s.len, size)
		}
		if w := want[i]; w != 0 && s.len != w || w == 0 && i != secCodebook && i != secUpLinks && i != secIDBlob && s.len != 0 {
			return nil, corruptf("section %s has %d bytes, want %d", sectionNames[i], s.len, w)
		}
		next = align64(s.off + s.len)
	}
	if end := h.sec[nSections-1].off + h.sec[nSections-1].len; end != uint64(size) {
		return nil, corruptf("file has %d bytes, header describes %d", size, end)
	}
	if h.sec[secUpLinks].len%4 != 0 {
		return nil, corruptf("section uplinks has %d bytes", h.sec[secUpLinks].len)
	}
	return h, nil
}

// parseCodebook decodes the codebook section (aliasing b).
func parseCodebook(b []byte, dim, cdim int) (*codebook, error) {
	le := binary.LittleEndian
	if len(b) < 32 {
		return nil, corruptf("codebook section too short")
	}
	cb := &codebook{dim: dim, cdim: cdim,
		trainN:   int(le.Uint64(b)),
		trainVar: math.Float64frombits(le.Uint64(b[8:])),
		trainRes: math.Float64frombits(le.Uint64(b[16:])),
		mu2:      math.Float32frombits(le.Uint32(b[24:])),
	}
	ident := le.Uint32(b[28:]) == 1
	want := 32 + 4*(dim+2*cdim)
	if !ident {
		want += 4 * cdim * dim
	}
	if len(b) != want || (ident && cdim != dim) {
		return nil, corruptf("codebook section has %d bytes, want %d", len(b), want)
	}
	f := sliceOf[float32](b[32:])
	cb.mean, f = f[:dim:dim], f[dim:]
	cb.step, f = f[:cdim:cdim], f[cdim:]
	cb.variance, f = f[:cdim:cdim], f[cdim:]
	if !ident {
		cb.basis = f[: cdim*dim : cdim*dim]
	}
	for _, s := range cb.step {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, corruptf("codebook has a quantisation step of %v", s)
		}
	}
	cb.derive()
	return cb, nil
}

// OpenFile maps the index file at path read-only and returns the index,
// without a fetcher or source (see Open for the usual way). Opening reads
// the header and the codebook, whatever the number of vectors. A file that
// is truncated or fails a checksum gives a *FileError wrapping ErrCorrupt;
// one from another format version wraps ErrVersion: rebuild it either way.
// Close releases the mapping.
func OpenFile(path string) (*Index, error) {
	if !nativeLittleEndian {
		return nil, fmt.Errorf("open index %s: big-endian machines are not supported", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	size := st.Size()
	if size < headerLen {
		return nil, atFile("open index", path, corruptf("file is truncated (%d bytes)", size))
	}
	mm, err := mapFile(f, size)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	x, err := fromMapping(mm, size)
	if err != nil {
		unmap(mm)
		return nil, atFile("open index", path, err)
	}
	x.path = path
	x.mref = &mapping{b: mm}
	runtime.AddCleanup(x, func(m *mapping) { m.release() }, x.mref)
	return x, nil
}

// Load is OpenFile that also returns the generation (the name of earlier
// versions).
func Load(path string) (*Index, uint64, error) {
	x, err := OpenFile(path)
	if err != nil {
		return nil, 0, err
	}
	return x, x.gen, nil
}

func fromMapping(mm []byte, size int64) (*Index, error) {
	h, err := parseHeader(mm[:headerLen], size)
	if err != nil {
		return nil, err
	}
	sec := func(i int) []byte { s := h.sec[i]; return mm[s.off : s.off+s.len : s.off+s.len] }
	cbBytes := sec(secCodebook)
	if crc32.Checksum(cbBytes, castagnoli) != h.sec[secCodebook].crc {
		return nil, corruptf("codebook checksum mismatch")
	}
	cb, err := parseCodebook(cbBytes, h.dim, h.cdim)
	if err != nil {
		return nil, err
	}
	x := &Index{
		dim: h.dim, cfg: h.cfg, ml: h.cfg.levelMult(), cb: cb,
		codes: sliceOf[int8](sec(secCodes)), fine: sliceOf[int8](sec(secFine)), errs: sliceOf[float32](sec(secErrs)),
		levels: sec(secLevels), l0: sliceOf[uint32](sec(secL0)), upOff: sliceOf[uint32](sec(secUpOff)),
		upLinks: sliceOf[uint32](sec(secUpLinks)), idRef: sliceOf[uint64](sec(secIDRef)),
		idBlob: sec(secIDBlob), vers: sliceOf[uint64](sec(secVers)), htab: sliceOf[uint32](sec(secHtab)),
		free: sliceOf[uint32](sec(secFree)), hfill: h.hfill, live: h.live,
		entry: h.entry, top: h.top, inserted: h.inserted, gen: h.gen,
		driftN: h.driftN, driftYY: h.driftYY, driftZ: h.driftZ, tune: h.tune, mm: mm,
	}
	if x.levels == nil {
		x.levels = []uint8{}
	}
	x.levels = x.levels[:h.slots:h.slots]
	if h.live > 0 && int(x.levels[h.entry]) != h.top {
		return nil, corruptf("entry point is not on the top layer")
	}
	for _, s := range x.free {
		if int(s) >= h.slots {
			return nil, corruptf("free slot %d of %d", s, h.slots)
		}
	}
	return x, nil
}

// Close releases the file mapping. The index must not be used afterwards.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.mm == nil {
		return nil
	}
	x.mm = nil
	x.codes, x.fine, x.errs, x.levels, x.l0, x.upOff, x.upLinks = nil, nil, nil, nil, nil, nil, nil
	x.idRef, x.idBlob, x.vers, x.htab, x.free, x.live, x.cb = nil, nil, nil, nil, nil, 0, nil
	x.entry = noSlot
	return x.mref.release()
}

// Verify checks every section checksum of the index file at path and the
// structure Open does not check (every link, level and id reference in
// range, the id table consistent). It reads the whole file. What it finds
// wrong is a *FileError wrapping ErrCorrupt or ErrVersion.
func Verify(path string) error {
	x, err := OpenFile(path)
	if err != nil {
		return err
	}
	defer x.Close()
	h, _ := parseHeader(x.mm[:headerLen], int64(len(x.mm)))
	for i, s := range h.sec {
		if crc32.Checksum(x.mm[s.off:s.off+s.len], castagnoli) != s.crc {
			return atFile("verify index", path, corruptf("section %s fails its checksum", sectionNames[i]))
		}
	}
	if err := x.checkStructure(); err != nil {
		return atFile("verify index", path, err)
	}
	return nil
}

// checkStructure checks links, levels, id references and the id table.
func (x *Index) checkStructure() error {
	n := x.slots()
	live := 0
	for s := range n {
		s := uint32(s)
		id := x.idBytes(s)
		if x.idRef[s] != 0 && len(id) == 0 {
			return corruptf("slot %d has an id reference outside the id bytes", s)
		}
		if len(id) == 0 {
			continue
		}
		live++
		if got, ok := x.lookup(string(id)); !ok || got != s {
			return corruptf("id %q of slot %d is not in the id table", id, s)
		}
		if int(x.levels[s]) > x.top {
			return corruptf("slot %d on layer %d above the top layer %d", s, x.levels[s], x.top)
		}
		for lc := 0; lc <= int(x.levels[s]); lc++ {
			b := x.block(s, lc)
			if len(b) == 0 || int(b[0]) > x.maxLinks(lc) {
				return corruptf("slot %d has a bad link block on layer %d", s, lc)
			}
			for _, t := range x.links(s, lc) {
				if int(t) >= n || t == s || len(x.idBytes(t)) == 0 || int(x.levels[t]) < lc {
					return corruptf("slot %d links on layer %d to slot %d, which is not a node of that layer", s, lc, t)
				}
			}
		}
	}
	if live != x.live {
		return corruptf("%d ids in use, header says %d", live, x.live)
	}
	return nil
}
