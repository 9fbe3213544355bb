package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A read-write badger open reads the newest value-log file from the start
// and cuts it at the first entry whose checksum fails: the right recovery
// after a kill (a half-written tail), and a permanent loss of every later
// entry after bit rot. lastVlogDamage finds such damage first, so that a
// read-write Open of a cleanly closed store can refuse instead.

// vlogHeaderLen is the length of badger's value-log file header.
const vlogHeaderLen = 20

// vlogEntry walks one entry of badger's log format at off: meta, user meta,
// uvarint key length, value length, expiry; key; value; big-endian
// CRC-32C of all before it. It returns the entry's length, and ok false
// when the entry does not parse or its checksum fails. crcAt is where the
// checksum is stored.
func vlogEntry(b []byte, off int) (n, crcAt int, framed, ok bool) {
	rest := b[off:]
	if len(rest) < 2 {
		return 0, 0, false, false
	}
	i := 2
	var lens [3]uint64
	for j := range lens {
		v, k := binary.Uvarint(rest[i:])
		if k <= 0 {
			return 0, 0, false, false
		}
		lens[j], i = v, i+k
	}
	klen, vlen := lens[0], lens[1]
	if klen == 0 || klen > 1<<16 || vlen > uint64(len(rest)) || uint64(i)+klen+vlen+4 > uint64(len(rest)) {
		return 0, 0, false, false
	}
	end := i + int(klen+vlen)
	sum := crc32.Checksum(rest[:end], castagnoliTable)
	return end + 4, off + end, true, binary.BigEndian.Uint32(rest[end:]) == sum
}

// vlogDamage is an entry of the newest value-log file whose checksum fails
// with intact entries after it.
type vlogDamage struct {
	file   string
	off    int
	after  int64 // bytes after the damaged entry that a read-write open would cut
	framed bool  // the entry's lengths are intact (only its content changed), or header mends them
	crcAt  int
	header []byte // when not nil: the entry's header with its lengths mended, written at off
}

// reframeWindow bounds how far past a damaged entry reframe looks for the
// entry after it: more than any vecimg value (a 4096-d vector with its
// record is about 16 KiB).
const reframeWindow = 4 << 20

// reframe mends an entry at off whose key or value length was damaged: it
// finds where the next entry starts (the first offset from which every
// entry to the end parses and passes its checksum), and rewrites one of the
// two lengths so that the entry ends there, keeping the other and the size
// of every field. It returns the mended header and the entry's end.
func reframe(b []byte, off int) (header []byte, end int, ok bool) {
	rest := b[off:]
	if len(rest) < 2 {
		return nil, 0, false
	}
	var lens [3]uint64
	var sizes [3]int
	i := 2
	for j := range lens {
		v, k := binary.Uvarint(rest[i:])
		if k <= 0 {
			return nil, 0, false
		}
		lens[j], sizes[j], i = v, k, i+k
	}
	hlen := i
	for e := off + hlen + 1 + 4; e < len(b) && e <= off+reframeWindow; e++ {
		if _, _, _, ok := vlogEntry(b, e); !ok || !vlogIntactFrom(b, e) {
			continue
		}
		body := uint64(e - off - hlen - 4) // key + value bytes
		// Mend the value length, else the key length.
		for j := range 2 {
			other := lens[1-j]
			if other > body || (j == 1 && body-other == 0) {
				continue
			}
			fixed := lens
			fixed[j] = body - other
			if fixed[0] == 0 || fixed[0] > 1<<16 {
				continue
			}
			h := append([]byte(nil), rest[:2]...)
			for f := range fixed {
				h = binary.AppendUvarint(h, fixed[f])
			}
			if len(h) != hlen {
				continue // a length of another size cannot be written in place
			}
			for f := range fixed {
				if len(binary.AppendUvarint(nil, fixed[f])) != sizes[f] {
					h = nil
				}
			}
			if h != nil {
				return h, e, true
			}
		}
		return nil, 0, false
	}
	return nil, 0, false
}

// lastVlogDamage checks the newest value-log file of a cleanly closed store
// (whose file badger truncated to its last entry): every entry must pass its
// checksum up to the end of the file.
func lastVlogDamage(dir string) (*vlogDamage, error) {
	last := ""
	lastID := -1
	m, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	for _, p := range m {
		id, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".vlog"))
		if err == nil && id > lastID {
			last, lastID = p, id
		}
	}
	if last == "" {
		return nil, nil
	}
	b, err := os.ReadFile(last)
	if err != nil {
		return nil, err
	}
	off := vlogHeaderLen
	for off < len(b) {
		n, crcAt, framed, ok := vlogEntry(b, off)
		if !ok {
			if len(bytes.Trim(b[off:], "\x00")) == 0 {
				return nil, nil // zeros: preallocated space
			}
			// Lengths that parse are intact only if every entry after
			// this one then parses and passes its checksum: a flipped
			// length byte can still parse, and patching a checksum at the
			// place it names would damage a good entry and lose every
			// entry after it.
			d := &vlogDamage{file: last, off: off, after: int64(len(b) - off), framed: framed, crcAt: crcAt}
			if framed && !vlogIntactFrom(b, off+n) {
				d.framed = false
				if h, end, ok := reframe(b, off); ok {
					d.framed, d.header, d.crcAt = true, h, end-4
				}
			}
			return d, nil
		}
		off += n
	}
	return nil, nil
}

// vlogIntactFrom reports whether the entries of b from off to its end (or
// to trailing zeros) all parse and pass their checksums.
func vlogIntactFrom(b []byte, off int) bool {
	for off < len(b) {
		n, _, _, ok := vlogEntry(b, off)
		if !ok {
			return len(bytes.Trim(b[off:], "\x00")) == 0
		}
		off += n
	}
	return true
}

func (d *vlogDamage) Error() string {
	return fmt.Sprintf("value-log entry at offset %d fails its checksum; a read-write open would cut the %d bytes after it (the entries of later records)", d.off, d.after)
}

// patchCRC makes a damaged entry whose lengths are intact pass its checksum
// again, so that badger keeps the entries after it; the record it holds is
// still damaged and is dropped by Repair.
func (d *vlogDamage) patchCRC() error {
	f, err := os.OpenFile(d.file, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if d.header != nil {
		if _, err := f.WriteAt(d.header, int64(d.off)); err != nil {
			f.Close()
			return err
		}
	}
	entry := make([]byte, d.crcAt-d.off)
	if _, err := f.ReadAt(entry, int64(d.off)); err != nil {
		f.Close()
		return err
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(entry, castagnoliTable))
	if _, err := f.WriteAt(sum[:], int64(d.crcAt)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
