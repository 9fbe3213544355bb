package index

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"unsafe"
)

// Index file format, version 1. All integers are little-endian.
//
//	header (88 bytes)
//	  0  magic "VECIMGIX"
//	  8  u32 format version (1)
//	 12  u32 metric (0 = cosine distance)
//	 16  u32 dim
//	 20  u32 count (vectors)
//	 24  u64 store generation the index reflects
//	 32  u32 M, u32 EfConstruction, u32 EfSearch, i32 ExactBelow
//	 48  u64 Seed, u64 insertions so far (the level generator's counter)
//	 64  u32 entry point (0xFFFFFFFF when empty), u32 top layer
//	 72  u64 body length in bytes
//	 80  u32 CRC-32C of bytes 0..79, u32 zero
//	body
//	  count × (u16 length, id bytes)
//	  count × u8 top layer
//	  count × dim × f32 unit vectors
//	  per node, per layer 0..top: u16 n, n × u32 neighbour
//	u32 CRC-32C of the body
//
// Nodes are numbered 0..count-1 in the file (free slots are dropped).
const (
	fileMagic   = "VECIMGIX"
	fileVersion = 1
	headerLen   = 88
	metricCos   = 0
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Generation returns the store generation recorded with the index (set by
// Load, ReadFrom, Save or SetGeneration).
func (x *Index) Generation() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.gen
}

// SetGeneration sets the store generation that WriteTo records.
func (x *Index) SetGeneration(g uint64) {
	x.mu.Lock()
	x.gen = g
	x.mu.Unlock()
}

// Save writes the index to path atomically: it writes a temporary file in
// the same directory, syncs it, renames it over path and syncs the
// directory, so path holds either the old or the new index, never a mix.
// generation is the store generation the index reflects; Load returns it.
func (x *Index) Save(path string, generation uint64) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("save index %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("save index %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	x.mu.RLock()
	_, err = x.writeLocked(bw, generation)
	x.mu.RUnlock()
	if err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	x.SetGeneration(generation)
	if d, derr := os.Open(dir); derr == nil {
		// Make the rename durable; some file systems cannot sync a
		// directory, and the rename has happened either way.
		d.Sync()
		d.Close()
	}
	return nil
}

// Load reads an index file written by Save. A file that is truncated, fails
// its checksum or holds inconsistent data gives an error wrapping ErrCorrupt;
// one from another format version gives ErrVersion. Either way the caller
// should rebuild the index from the store.
func Load(path string) (*Index, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("load index: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("load index %s: %w", path, err)
	}
	x := &Index{}
	if _, err := x.readFrom(bufio.NewReaderSize(f, 1<<20), st.Size(), true); err != nil {
		return nil, 0, fmt.Errorf("load index %s: %w", path, err)
	}
	return x, x.gen, nil
}

// WriteTo writes the index in the file format above, with the generation
// last set by SetGeneration, Save, Load or ReadFrom. It implements
// io.WriterTo.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.writeLocked(w, x.gen)
}

// ReadFrom replaces the index with one read from r (dimension, config,
// generation and contents). It reads exactly the bytes of one index and does
// not buffer, so wrap a slow reader in a bufio.Reader. On error the index is
// left unchanged. It implements io.ReaderFrom.
func (x *Index) ReadFrom(r io.Reader) (int64, error) {
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		size = int64(v.Len())
	case *os.File:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := v.Seek(0, io.SeekCurrent); err == nil {
				size = st.Size() - off
			}
		}
	}
	y := &Index{}
	n, err := y.readFrom(r, size, false)
	if err != nil {
		return n, fmt.Errorf("read index: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.dim, x.cfg, x.ml, x.gen = y.dim, y.cfg, y.ml, y.gen
	x.vecs, x.ids, x.slots, x.levels, x.l0, x.up, x.free = y.vecs, y.ids, y.slots, y.levels, y.l0, y.up, nil
	x.entry, x.top, x.inserted = y.entry, y.top, y.inserted
	x.wctx = nil
	x.ctxPool = sync.Pool{}
	return n, nil
}

// countWriter counts bytes and feeds the body checksum.
type countWriter struct {
	w   io.Writer
	n   int64
	crc hash.Hash32
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.crc != nil {
		c.crc.Write(p[:n])
	}
	return n, err
}

// writeLocked writes the index; the caller holds a lock.
func (x *Index) writeLocked(w io.Writer, gen uint64) (int64, error) {
	// Number live slots densely, in slot order.
	num := make([]uint32, len(x.ids))
	var order []uint32
	for s, id := range x.ids {
		if id != "" {
			num[s] = uint32(len(order))
			order = append(order, uint32(s))
		}
	}
	count := len(order)
	bodyLen := uint64(count) * uint64(2+1+4*x.dim)
	for _, s := range order {
		bodyLen += uint64(len(x.ids[s]))
		for lc := 0; lc <= int(x.levels[s]); lc++ {
			bodyLen += 2 + 4*uint64(len(x.links(s, lc)))
		}
	}
	entry := uint32(noSlot)
	if x.entry != noSlot {
		entry = num[x.entry]
	}

	var h [headerLen]byte
	le := binary.LittleEndian
	copy(h[0:], fileMagic)
	le.PutUint32(h[8:], fileVersion)
	le.PutUint32(h[12:], metricCos)
	le.PutUint32(h[16:], uint32(x.dim))
	le.PutUint32(h[20:], uint32(count))
	le.PutUint64(h[24:], gen)
	le.PutUint32(h[32:], uint32(x.cfg.M))
	le.PutUint32(h[36:], uint32(x.cfg.EfConstruction))
	le.PutUint32(h[40:], uint32(x.cfg.EfSearch))
	le.PutUint32(h[44:], uint32(int32(x.cfg.ExactBelow)))
	le.PutUint64(h[48:], x.cfg.Seed)
	le.PutUint64(h[56:], x.inserted)
	le.PutUint32(h[64:], entry)
	le.PutUint32(h[68:], uint32(x.top))
	le.PutUint64(h[72:], bodyLen)
	le.PutUint32(h[80:], crc32.Checksum(h[:80], castagnoli))

	cw := &countWriter{w: w}
	if _, err := cw.Write(h[:]); err != nil {
		return cw.n, err
	}
	cw.crc = crc32.New(castagnoli)
	buf := make([]byte, 0, 64<<10)
	flush := func(force bool) error {
		if len(buf) == 0 || (!force && len(buf) < cap(buf)-(MaxIDLen+8)) {
			return nil
		}
		_, err := cw.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, s := range order {
		buf = le.AppendUint16(buf, uint16(len(x.ids[s])))
		buf = append(buf, x.ids[s]...)
		if err := flush(false); err != nil {
			return cw.n, err
		}
	}
	for _, s := range order {
		buf = append(buf, x.levels[s])
		if err := flush(false); err != nil {
			return cw.n, err
		}
	}
	if err := flush(true); err != nil {
		return cw.n, err
	}
	for _, s := range order {
		if nativeLittleEndian {
			if _, err := cw.Write(floatBytes(x.vec(s))); err != nil {
				return cw.n, err
			}
			continue
		}
		for _, f := range x.vec(s) {
			buf = le.AppendUint32(buf, math.Float32bits(f))
			if len(buf) == cap(buf) {
				if err := flush(true); err != nil {
					return cw.n, err
				}
			}
		}
	}
	for _, s := range order {
		for lc := 0; lc <= int(x.levels[s]); lc++ {
			ls := x.links(s, lc)
			buf = le.AppendUint16(buf, uint16(len(ls)))
			for _, n := range ls {
				buf = le.AppendUint32(buf, num[n])
			}
			if err := flush(false); err != nil {
				return cw.n, err
			}
		}
	}
	if err := flush(true); err != nil {
		return cw.n, err
	}
	sum := cw.crc.Sum32()
	cw.crc = nil
	_, err := cw.Write(le.AppendUint32(nil, sum))
	return cw.n, err
}

// decoder reads the body, checking every length against the bytes the
// header promised and feeding the checksum.
type decoder struct {
	r    io.Reader
	crc  hash.Hash32
	left uint64 // body bytes not yet read
	buf  []byte
}

// next returns the next n body bytes (valid until the next call).
func (d *decoder) next(n int) ([]byte, error) {
	if uint64(n) > d.left {
		return nil, fmt.Errorf("%w: body ends %d bytes before the data it describes", ErrCorrupt, uint64(n)-d.left)
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, truncated(err)
	}
	d.left -= uint64(n)
	d.crc.Write(b)
	return b, nil
}

// into fills dst with the next len(dst) body bytes.
func (d *decoder) into(dst []byte) error {
	if uint64(len(dst)) > d.left {
		return fmt.Errorf("%w: body ends %d bytes before the data it describes", ErrCorrupt, uint64(len(dst))-d.left)
	}
	if _, err := io.ReadFull(d.r, dst); err != nil {
		return truncated(err)
	}
	d.left -= uint64(len(dst))
	d.crc.Write(dst)
	return nil
}

// nativeLittleEndian: float32 slices have the file's byte layout in memory.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// floatBytes views f's memory as bytes (no copy).
func floatBytes(f []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: file is truncated", ErrCorrupt)
	}
	return err
}

// growCap bounds up-front allocations: exact when the input size has been
// checked against the header, otherwise capped so that a forged count makes
// the reader fail at end of input instead of allocating.
func growCap(n int, sizeKnown bool) int {
	if sizeKnown {
		return n
	}
	return min(n, 1<<12)
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readFrom fills the empty index x from r and returns the bytes read. size
// is the number of bytes left in r, or -1 when unknown; with whole set, r
// must hold exactly one index and nothing after it.
func (x *Index) readFrom(r io.Reader, size int64, whole bool) (int64, error) {
	cr := &countReader{r: r}
	err := x.decode(cr, size, whole)
	return cr.n, err
}

func (x *Index) decode(r io.Reader, size int64, whole bool) error {
	le := binary.LittleEndian
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:12]); err != nil {
		return truncated(err)
	}
	if string(h[:8]) != fileMagic {
		return fmt.Errorf("%w: not a vecimg index file (bad magic)", ErrCorrupt)
	}
	if v := le.Uint32(h[8:]); v != fileVersion {
		return fmt.Errorf("%w: file has format version %d, this build reads version %d", ErrVersion, v, fileVersion)
	}
	if _, err := io.ReadFull(r, h[12:]); err != nil {
		return truncated(err)
	}
	if got, want := crc32.Checksum(h[:80], castagnoli), le.Uint32(h[80:]); got != want || le.Uint32(h[84:]) != 0 {
		return fmt.Errorf("%w: header checksum mismatch", ErrCorrupt)
	}
	if m := le.Uint32(h[12:]); m != metricCos {
		return fmt.Errorf("%w: unknown metric %d", ErrCorrupt, m)
	}
	dim := int(le.Uint32(h[16:]))
	count := int(le.Uint32(h[20:]))
	gen := le.Uint64(h[24:])
	cfg := Config{
		M:              int(le.Uint32(h[32:])),
		EfConstruction: int(le.Uint32(h[36:])),
		EfSearch:       int(le.Uint32(h[40:])),
		ExactBelow:     int(int32(le.Uint32(h[44:]))),
		Seed:           le.Uint64(h[48:]),
	}
	inserted := le.Uint64(h[56:])
	entry := le.Uint32(h[64:])
	top := int(le.Uint32(h[68:]))
	bodyLen := le.Uint64(h[72:])

	if dim < 1 || dim > MaxDim {
		return fmt.Errorf("%w: dimension %d", ErrCorrupt, dim)
	}
	if cfg.M == 0 || cfg.EfConstruction == 0 || cfg.EfSearch == 0 || cfg.ExactBelow == 0 {
		return fmt.Errorf("%w: config has zero fields", ErrCorrupt)
	}
	if c, err := cfg.withDefaults(); err != nil || c != cfg {
		return fmt.Errorf("%w: config out of range: %+v", ErrCorrupt, cfg)
	}
	// Every node needs at least a 1-byte id, its length, a level byte, its
	// vector and a layer-0 link count.
	perNode := uint64(2 + 1 + 1 + 4*dim + 2)
	if bodyLen/perNode < uint64(count) {
		return fmt.Errorf("%w: %d vectors of dimension %d cannot fit in a %d-byte body", ErrCorrupt, count, dim, bodyLen)
	}
	sizeKnown := size >= 0
	if want := headerLen + bodyLen + 4; sizeKnown && (uint64(size) < want || whole && uint64(size) != want) {
		return fmt.Errorf("%w: file has %d bytes, header describes %d", ErrCorrupt, size, want)
	}
	if (count == 0) != (entry == noSlot) || (count > 0 && int(entry) >= count) || top > maxLevel {
		return fmt.Errorf("%w: entry point %d, top layer %d for %d vectors", ErrCorrupt, entry, top, count)
	}

	d := &decoder{r: r, crc: crc32.New(castagnoli), left: bodyLen}
	x.dim, x.cfg, x.ml, x.gen = dim, cfg, cfg.levelMult(), gen
	x.entry, x.top, x.inserted = noSlot, 0, inserted
	x.ids = make([]string, 0, growCap(count, sizeKnown))
	x.slots = make(map[string]uint32, growCap(count, sizeKnown))
	for i := range count {
		b, err := d.next(2)
		if err != nil {
			return err
		}
		l := int(le.Uint16(b))
		if l == 0 || l > MaxIDLen {
			return fmt.Errorf("%w: node %d has an id of %d bytes", ErrCorrupt, i, l)
		}
		if b, err = d.next(l); err != nil {
			return err
		}
		id := string(b)
		if _, dup := x.slots[id]; dup {
			return fmt.Errorf("%w: id %q appears twice", ErrCorrupt, id)
		}
		x.slots[id] = uint32(i)
		x.ids = append(x.ids, id)
	}
	x.levels = make([]uint8, 0, growCap(count, sizeKnown))
	for left := count; left > 0; {
		b, err := d.next(min(left, 64<<10))
		if err != nil {
			return err
		}
		for _, l := range b {
			if int(l) > top {
				return fmt.Errorf("%w: node %d on layer %d above the top layer %d", ErrCorrupt, len(x.levels), l, top)
			}
			x.levels = append(x.levels, l)
		}
		left -= len(b)
	}
	if count > 0 && int(x.levels[entry]) != top {
		return fmt.Errorf("%w: entry point is not on the top layer", ErrCorrupt)
	}

	x.vecs = make([]float32, 0, growCap(count, sizeKnown)*dim)
	const chunk = 64 << 10 // floats per read
	for left := count * dim; left > 0; {
		m := min(left, chunk)
		at := len(x.vecs)
		x.vecs = slices.Grow(x.vecs, m)[:at+m]
		dst := x.vecs[at:]
		if nativeLittleEndian {
			// The file's layout is the memory layout: read straight in.
			if err := d.into(floatBytes(dst)); err != nil {
				return err
			}
		} else {
			b, err := d.next(4 * m)
			if err != nil {
				return err
			}
			for i := range dst {
				dst[i] = math.Float32frombits(le.Uint32(b[4*i:]))
			}
		}
		left -= m
	}
	for i := range count {
		// A NaN or ±Inf component makes the squared norm NaN or +Inf, so
		// this also rejects non-finite vectors.
		v := x.vec(uint32(i))
		if nn := dot(v, v); !(math.Abs(float64(nn)-1) <= 1e-3) {
			return fmt.Errorf("%w: vector of %q has squared norm %g, want 1", ErrCorrupt, x.ids[i], nn)
		}
	}

	stride := cfg.m0() + 1
	x.l0 = make([]uint32, 0, growCap(count, sizeKnown)*stride)
	x.up = make([][]uint32, count) // count ≤ len(x.vecs) by now: bounded
	for i := range count {
		x.l0 = append(x.l0, make([]uint32, stride)...)
		if l := int(x.levels[i]); l > 0 {
			x.up[i] = make([]uint32, l*(cfg.M+1))
		}
		for lc := 0; lc <= int(x.levels[i]); lc++ {
			b, err := d.next(2)
			if err != nil {
				return err
			}
			nl := int(le.Uint16(b))
			if nl > x.maxLinks(lc) {
				return fmt.Errorf("%w: node %d has %d links on layer %d, at most %d allowed", ErrCorrupt, i, nl, lc, x.maxLinks(lc))
			}
			if b, err = d.next(4 * nl); err != nil {
				return err
			}
			blk := x.block(uint32(i), lc)
			blk[0] = uint32(nl)
			for j := range nl {
				t := le.Uint32(b[4*j:])
				if int64(t) >= int64(count) || t == uint32(i) {
					return fmt.Errorf("%w: node %d links to node %d on layer %d", ErrCorrupt, i, t, lc)
				}
				blk[1+j] = t
			}
		}
	}
	// Links may point forward, so their targets' levels are checked last.
	for i := range count {
		for lc := 0; lc <= int(x.levels[i]); lc++ {
			for _, t := range x.links(uint32(i), lc) {
				if int(x.levels[t]) < lc {
					return fmt.Errorf("%w: node %d links on layer %d to node %d, which tops out at layer %d", ErrCorrupt, i, lc, t, x.levels[t])
				}
			}
		}
	}
	if d.left != 0 {
		return fmt.Errorf("%w: %d unexplained bytes at the end of the body", ErrCorrupt, d.left)
	}
	sum := d.crc.Sum32()
	var tail [4]byte
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return truncated(err)
	}
	if le.Uint32(tail[:]) != sum {
		return fmt.Errorf("%w: body checksum mismatch", ErrCorrupt)
	}
	if count > 0 {
		x.entry, x.top = entry, top
	}
	return nil
}
