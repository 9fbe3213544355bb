package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
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
	lens, _, i, ok := vlogHeader(rest)
	if !ok {
		return 0, 0, false, false
	}
	klen, vlen := lens[0], lens[1]
	if klen == 0 || klen > 1<<16 || vlen > uint64(len(rest)) || uint64(i)+klen+vlen+4 > uint64(len(rest)) {
		return 0, 0, false, false
	}
	end := i + int(klen+vlen)
	sum := crc32.Checksum(rest[:end], castagnoliTable)
	return end + 4, off + end, true, binary.BigEndian.Uint32(rest[end:]) == sum
}

// vlogHeader reads an entry header's three uvarint lengths (key, value,
// expiry) after its two meta bytes: their values, their sizes in bytes,
// and the header's length.
func vlogHeader(rest []byte) (lens [3]uint64, sizes [3]int, hlen int, ok bool) {
	if len(rest) < 2 {
		return lens, sizes, 0, false
	}
	hlen = 2
	for j := range lens {
		v, k := binary.Uvarint(rest[hlen:])
		if k <= 0 {
			return lens, sizes, 0, false
		}
		lens[j], sizes[j], hlen = v, k, hlen+k
	}
	return lens, sizes, hlen, true
}

// vlogFirstBad walks the entries of b from off and returns the offset of
// the first that does not parse or fails its checksum, or -1 when all do
// up to the end of b or to trailing zeros (preallocated space).
func vlogFirstBad(b []byte, off int) int {
	for off < len(b) {
		n, _, _, ok := vlogEntry(b, off)
		if !ok {
			if len(bytes.Trim(b[off:], "\x00")) == 0 {
				return -1
			}
			return off
		}
		off += n
	}
	return -1
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
	lens, sizes, hlen, ok := vlogHeader(rest)
	if !ok {
		return nil, 0, false
	}
	for e := off + hlen + 1 + 4; e < len(b) && e <= off+reframeWindow; e++ {
		if n, _, _, ok := vlogEntry(b, e); !ok || vlogFirstBad(b, e+n) >= 0 {
			continue
		}
		body := uint64(e - off - hlen - 4) // key + value bytes
		// Mend the key length, else the value length (never to an empty
		// value), keeping each field's size so that the header is
		// rewritten in place.
		for j := range 2 {
			if lens[1-j] > body {
				continue
			}
			fixed := lens
			fixed[j] = body - lens[1-j]
			if fixed[0] == 0 || fixed[0] > 1<<16 || (j == 1 && fixed[1] == 0) {
				continue
			}
			h := append([]byte(nil), rest[:2]...)
			same := true
			for f := range fixed {
				n := len(h)
				h = binary.AppendUvarint(h, fixed[f])
				same = same && len(h)-n == sizes[f]
			}
			if same {
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
	files, err := vlogFiles(dir)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	last := filepath.Join(dir, files[len(files)-1].name)
	b, err := os.ReadFile(last)
	if err != nil {
		return nil, err
	}
	off := vlogFirstBad(b, vlogHeaderLen)
	if off < 0 {
		return nil, nil
	}
	n, crcAt, framed, _ := vlogEntry(b, off)
	d := &vlogDamage{file: last, off: off, after: int64(len(b) - off), framed: framed, crcAt: crcAt}
	// Lengths that parse are intact only if every entry after this one then
	// parses and passes its checksum: a flipped length byte can still parse,
	// and patching a checksum at the place it names would damage a good
	// entry and lose every entry after it.
	if framed && vlogFirstBad(b, off+n) >= 0 {
		d.framed = false
		if h, end, ok := reframe(b, off); ok {
			d.framed, d.header, d.crcAt = true, h, end-4
		}
	}
	return d, nil
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
