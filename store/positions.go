package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vecimg/vecimg/internal/fsutil"
)

// Vector positions. A vector read through badger looks its key up in the
// LSM tree and then reads the value from a memory-mapped value-log file,
// whose pages fault in on first touch: at 1M × 4096 about 18 µs a vector,
// against under 5 µs for one pread of the same bytes (bench/vlogread). A
// positions file records, for every record of a store at one generation,
// where its data value lies in the value log (file, offset, length, and
// the version that wrote it), so that Vectors on a read-only store can read
// it with one pread.
//
// Nothing read that way is trusted on the file's word: the entry read must
// carry the record's own key at the recorded version (badger's log keys
// end in the version), and the value its own checksum (format 2; a format-1
// value is checked with badger's entry checksum instead). An entry with a
// given key and version never changes, so such an entry is that version of
// the record; the version is the current one because the file is used only
// when the store's generation (bumped by every Put and Delete) and its
// creation time are those it was made at, and only on a read-only store,
// whose generation cannot move while it is open. Any failed check, a value
// under badger's value threshold (kept in the LSM, not the log) or a
// value-log file gone since (garbage collection) falls back to badger's
// read for that record.

// posMagic starts a positions file; its last byte is the format version.
const posMagic = "VECIPOS\x01"

const (
	posHeaderLen = 64
	posEntryLen  = 24 // fid, offset, length, id offset (uint32 each), version (uint64)
	// posMaxRead bounds one entry's length (a 65,536-d vector and the
	// longest path fit well under it).
	posMaxRead = 1 << 20
)

// PositionsInfo describes a positions file written by WritePositions.
type PositionsInfo struct {
	Records int // records of the store
	Placed  int // of those, records whose value lies in the value log (the rest are read through badger)
	Bytes   int64
}

// positions is a loaded positions file.
type positions struct {
	dir     string
	entries []byte // count+1 entries; the last holds only the end of the ids
	ids     []byte
	table   []byte // open addressing over the ids: uint32 entry index + 1, 0 empty
	mask    uint64
	count   int
	unmap   func() // releases the file's mapping

	mu    sync.Mutex
	files map[uint32]*os.File // opened on first use; nil for one that failed

	bufs sync.Pool
	hits atomic.Int64 // vectors read by position (tests, bench)
}

// posHash is 64-bit FNV-1a of id.
func posHash(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(id) {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// WritePositions writes the positions file of the store's current state to
// path (atomically: an interrupted write leaves the old file or none). It
// reads every data key's version (keys only) and the header of every
// value-log entry, never a vector: at 1M records a few seconds. progress,
// when not nil, is called with value-log files done and their total.
func (s *Store) WritePositions(ctx context.Context, path string, progress func(done, total int)) (PositionsInfo, error) {
	var info PositionsInfo
	man, ok, err := s.Manifest()
	if err != nil {
		return info, err
	}
	if !ok {
		return info, s.wrapf(fmt.Errorf("%w: positions need a store with vectors", ErrNoManifest), "write positions")
	}
	s.mu.Lock() // no write of this process moves the generation under the scan
	defer s.mu.Unlock()
	gen, err := s.Generation()
	if err != nil {
		return info, err
	}
	var ids []string
	var vers []uint64
	err = s.ScanVersions(ctx, func(id string, version uint64) error {
		ids = append(ids, id)
		vers = append(vers, version)
		return nil
	})
	if err != nil {
		return info, err
	}
	idx := make(map[string]int32, len(ids))
	for i, id := range ids {
		idx[id] = int32(i)
	}
	type place struct{ fid, off, n uint32 }
	places := make([]place, len(ids))
	files, err := vlogFiles(s.path)
	if err != nil {
		return info, s.wrapf(err, "write positions")
	}
	for done, f := range files {
		if err := ctx.Err(); err != nil {
			return info, err
		}
		err := walkVlogKeys(filepath.Join(s.path, f.name), func(off, n uint32, key []byte) {
			id, ts, ok := vlogDataKey(key)
			if !ok {
				return
			}
			if i, ok := idx[string(id)]; ok && vers[i] == ts {
				places[i] = place{f.fid, off, n}
			}
		})
		if err != nil {
			return info, s.wrapf(err, "write positions")
		}
		if progress != nil {
			progress(done+1, len(files))
		}
	}
	bits := uint(1)
	for 1<<bits < 2*len(ids) {
		bits++
	}
	table := make([]uint32, 1<<bits)
	mask := uint64(len(table) - 1)
	var idsLen int
	for _, id := range ids {
		idsLen += len(id)
	}
	if idsLen > math.MaxUint32 {
		return info, s.wrapf(errors.New("ids too long for a positions file"), "write positions")
	}
	for i, id := range ids {
		for h := posHash(id) & mask; ; h = (h + 1) & mask {
			if table[h] == 0 {
				table[h] = uint32(i + 1)
				break
			}
		}
	}
	info.Records = len(ids)
	err = fsutil.WriteFileAtomic(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		var h [posHeaderLen]byte
		copy(h[:], posMagic)
		binary.LittleEndian.PutUint64(h[8:], uint64(man.Created.UnixNano()))
		binary.LittleEndian.PutUint64(h[16:], gen)
		binary.LittleEndian.PutUint64(h[24:], uint64(len(ids)))
		binary.LittleEndian.PutUint64(h[32:], uint64(bits))
		binary.LittleEndian.PutUint64(h[40:], uint64(idsLen))
		bw.Write(h[:])
		var e [posEntryLen]byte
		var at uint32
		for i, p := range places {
			if p.n > 0 {
				info.Placed++
			}
			binary.LittleEndian.PutUint32(e[0:], p.fid)
			binary.LittleEndian.PutUint32(e[4:], p.off)
			binary.LittleEndian.PutUint32(e[8:], p.n)
			binary.LittleEndian.PutUint32(e[12:], at)
			binary.LittleEndian.PutUint64(e[16:], vers[i])
			bw.Write(e[:])
			at += uint32(len(ids[i]))
		}
		clear(e[:])
		binary.LittleEndian.PutUint32(e[12:], at)
		bw.Write(e[:])
		for _, id := range ids {
			bw.WriteString(id)
		}
		bw.Write(make([]byte, pad4(idsLen)))
		var b4 [4]byte
		for _, v := range table {
			binary.LittleEndian.PutUint32(b4[:], v)
			bw.Write(b4[:])
		}
		return bw.Flush()
	})
	if err != nil {
		return info, s.wrapf(err, "write positions")
	}
	info.Bytes = int64(posFileSize(uint64(len(ids)), uint64(bits), uint64(idsLen)))
	return info, nil
}

func pad4(n int) int { return (4 - n%4) % 4 }

// posFileSize is the length of a positions file of count records whose ids
// take idsLen bytes, with a table of 1<<bits slots.
func posFileSize(count, bits, idsLen uint64) uint64 {
	return posHeaderLen + (count+1)*posEntryLen + idsLen + uint64(pad4(int(idsLen))) + 4<<bits
}

// vlogDataKey splits a value-log entry's key, a record's data key followed
// by badger's version (big-endian, inverted), into the record id and the
// version; ok is false for any other key.
func vlogDataKey(key []byte) (id []byte, version uint64, ok bool) {
	if len(key) < 8 {
		return nil, 0, false
	}
	id, suffix, ok := parseRecordKey(key[:len(key)-8])
	if !ok || suffix != suffixData {
		return nil, 0, false
	}
	return id, math.MaxUint64 - binary.BigEndian.Uint64(key[len(key)-8:]), true
}

type vlogFile struct {
	name string
	fid  uint32
}

// vlogFiles lists the value-log files of dir in fid order.
func vlogFiles(dir string) ([]vlogFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []vlogFile
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".vlog")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fid, err := strconv.ParseUint(base, 10, 32)
		if err != nil {
			continue
		}
		out = append(out, vlogFile{e.Name(), uint32(fid)})
	}
	slices.SortFunc(out, func(a, b vlogFile) int { return int(a.fid) - int(b.fid) })
	return out, nil
}

// walkVlogKeys calls fn with the offset, length and key of every entry of
// the value-log file at path, reading entry headers only, and stops at the
// first one that does not parse (the end, or preallocated space).
func walkVlogKeys(path string, fn func(off, n uint32, key []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	buf := make([]byte, 4096)
	for off := int64(vlogHeaderLen); off < size && off <= math.MaxUint32; {
		m, err := f.ReadAt(buf, off)
		if m == 0 && err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		lens, _, hlen, ok := vlogHeader(buf[:m])
		if !ok || lens[0] == 0 || lens[0] > 1<<16 {
			return nil
		}
		n := int64(hlen) + int64(lens[0]) + int64(lens[1]) + 4
		if off+n > size || n > math.MaxUint32 {
			return nil
		}
		key := buf[hlen:min(m, hlen+int(lens[0]))]
		if len(key) < int(lens[0]) {
			key = make([]byte, lens[0])
			if _, err := f.ReadAt(key, off+int64(hlen)); err != nil {
				return err
			}
		}
		fn(uint32(off), uint32(n), key)
		off += n
	}
	return nil
}

// UsePositions loads the positions file at path for the reads of data
// values (Vectors, Paths, Heads). It returns ErrPositionsStale (wrapped)
// when the file was made for another store or another generation of this
// one, and refuses a store open for writing (ErrInvalid: a write would move
// the generation under it): the positions are used only while the store
// cannot change.
func (s *Store) UsePositions(path string) error {
	if !s.readOnly {
		return s.wrapf(fmt.Errorf("%w: vector positions are used only on a store opened read-only", ErrInvalid), "use positions")
	}
	man, ok, err := s.Manifest()
	if err != nil {
		return err
	}
	gen, err := s.Generation()
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < posHeaderLen || fi.Size() > math.MaxInt32*8 {
		return fmt.Errorf("%s: %w (size %d)", path, ErrPositionsStale, fi.Size())
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	p, err := parsePositions(data, s.path)
	if err == nil && (!ok || int64(binary.LittleEndian.Uint64(data[8:])) != man.Created.UnixNano() || binary.LittleEndian.Uint64(data[16:]) != gen) {
		err = ErrPositionsStale
	}
	if err != nil {
		unmap()
		return fmt.Errorf("%s: %w", path, err)
	}
	p.unmap = unmap
	if old := s.pos.Swap(p); old != nil {
		// A reader may still be inside old: it is closed with the store.
		s.mu.Lock()
		s.retired = append(s.retired, old)
		s.mu.Unlock()
	}
	return nil
}

// parsePositions checks the layout of a positions file's bytes.
func parsePositions(data []byte, dir string) (*positions, error) {
	if string(data[:8]) != posMagic {
		return nil, fmt.Errorf("%w: not a positions file of this format", ErrPositionsStale)
	}
	count := binary.LittleEndian.Uint64(data[24:])
	bits := binary.LittleEndian.Uint64(data[32:])
	idsLen := binary.LittleEndian.Uint64(data[40:])
	if bits > 40 || count >= 1<<bits || count > 1<<40 || idsLen > math.MaxUint32 {
		return nil, fmt.Errorf("%w: damaged header", ErrPositionsStale)
	}
	if size := posFileSize(count, bits, idsLen); size != uint64(len(data)) {
		return nil, fmt.Errorf("%w: %d bytes, the header says %d", ErrPositionsStale, len(data), size)
	}
	eEnd := posHeaderLen + (count+1)*posEntryLen
	iEnd := eEnd + idsLen
	return &positions{dir: dir, entries: data[posHeaderLen:eEnd], ids: data[eEnd:iEnd], count: int(count),
		table: data[iEnd+uint64(pad4(int(idsLen))):], mask: 1<<bits - 1, files: map[uint32]*os.File{}}, nil
}

// lookup returns the entry index of id, or -1.
func (p *positions) lookup(id string) int {
	h := posHash(id) & p.mask
	for probes := uint64(0); probes <= p.mask; probes, h = probes+1, (h+1)&p.mask { // a damaged table may have no empty slot
		v := binary.LittleEndian.Uint32(p.table[4*h:])
		if v == 0 || int(v) > p.count {
			return -1
		}
		i := int(v - 1)
		e := p.entries[i*posEntryLen:]
		a, b := binary.LittleEndian.Uint32(e[12:]), binary.LittleEndian.Uint32(e[posEntryLen+12:])
		if a <= b && uint64(b) <= uint64(len(p.ids)) && string(p.ids[a:b]) == id {
			return i
		}
	}
	return -1
}

// touchBatch is how many ids touch runs ahead at once.
const touchBatch = 16

// touch loads, for each of ids, the lines lookup will read (its table
// word, then its entry and the start of its id), one kind at a time for
// the whole batch, so that the cache misses of different ids overlap
// instead of following one another as they would in one lookup after
// another (each lookup's three loads depend on each other). It returns a
// value only so that the loads are not dropped.
func (p *positions) touch(ids []string) uint32 {
	var hs [touchBatch]uint64
	var vs [touchBatch]uint32
	var sink uint32
	for lo := 0; lo < len(ids); lo += touchBatch {
		b := ids[lo:min(len(ids), lo+touchBatch)]
		for j, id := range b {
			hs[j] = posHash(id) & p.mask
			vs[j] = binary.LittleEndian.Uint32(p.table[4*hs[j]:])
		}
		for j := range b {
			if v := vs[j]; v != 0 && int(v) <= p.count {
				a := binary.LittleEndian.Uint32(p.entries[int(v-1)*posEntryLen+12:])
				vs[j] = a
				sink += a
			} else {
				vs[j] = math.MaxUint32
			}
		}
		for j := range b {
			if a := vs[j]; uint64(a) < uint64(len(p.ids)) {
				sink += uint32(p.ids[a])
			}
		}
	}
	return sink
}

// file returns the open value-log file fid, or nil.
func (p *positions) file(fid uint32) *os.File {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.files[fid]
	if !ok {
		f, _ = os.Open(filepath.Join(p.dir, fmt.Sprintf("%06d.vlog", fid)))
		p.files[fid] = f
	}
	return f
}

// head reads the data value of id by its position and calls fn(i, its
// head) (which aliases a buffer reused after fn returns); ok is false when
// it could not (the caller reads it through badger).
func (p *positions) head(id string, i int, fn func(i int, h dataHeader)) bool {
	e := p.lookup(id)
	if e < 0 {
		return false
	}
	ent := p.entries[e*posEntryLen:]
	fid, off, n := binary.LittleEndian.Uint32(ent), binary.LittleEndian.Uint32(ent[4:]), binary.LittleEndian.Uint32(ent[8:])
	ver := binary.LittleEndian.Uint64(ent[16:])
	if n == 0 || n > posMaxRead {
		return false
	}
	f := p.file(fid)
	if f == nil {
		return false
	}
	bp, _ := p.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer p.bufs.Put(bp)
	b := slices.Grow((*bp)[:0], int(n))[:n]
	*bp = b
	if m, err := f.ReadAt(b, int64(off)); m != len(b) || (err != nil && err != io.EOF) {
		return false
	}
	lens, _, hlen, ok := vlogHeader(b)
	if !ok || uint64(hlen)+lens[0]+lens[1]+4 != uint64(n) {
		return false
	}
	if kid, ts, ok := vlogDataKey(b[hlen : hlen+int(lens[0])]); !ok || string(kid) != id || ts != ver {
		return false
	}
	h, err := decodeData(b[hlen+int(lens[0]) : hlen+int(lens[0])+int(lens[1])])
	if err != nil {
		return false
	}
	if !h.sealed {
		if _, _, _, ok := vlogEntry(b, 0); !ok {
			return false
		}
	}
	p.hits.Add(1)
	fn(i, h)
	return true
}

// close closes the value-log files and unmaps the file; nothing may read
// p after it.
func (p *positions) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.files {
		if f != nil {
			f.Close()
		}
	}
	p.files = map[uint32]*os.File{}
	if p.unmap != nil {
		p.unmap()
		p.unmap = nil
	}
}

// PositionsLoaded reports whether UsePositions has loaded a positions file.
func (s *Store) PositionsLoaded() bool { return s.pos.Load() != nil }

// PositionHits is how many data values (vectors, heads) have been read by
// position since the positions were loaded (0 without them).
func (s *Store) PositionHits() int64 {
	if p := s.pos.Load(); p != nil {
		return p.hits.Load()
	}
	return 0
}
