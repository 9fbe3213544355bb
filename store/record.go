package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/vecimg/vecimg/internal/vec"
)

// NoLabel is Meta.Label for a record that has not been clustered.
const NoLabel int32 = -1

// Limits on what Put accepts. They keep keys well under badger's 64 KB key
// limit and let the decoder reject absurd lengths before allocating.
const (
	MaxIDLen   = vec.MaxIDLen // bytes
	MaxPathLen = 4096         // bytes
	MaxDim     = vec.MaxDim   // floats per vector
)

// Record is one stored image.
type Record struct {
	// ID is the image's path relative to the ingested directory without its
	// extension ("sub/123"). Non-empty, at most MaxIDLen bytes, no NUL byte.
	ID string
	// Path is the source file's path as given at ingest (usually absolute).
	// Non-empty, at most MaxPathLen bytes, no NUL byte.
	Path string
	// SHA256 is the lowercase hex SHA-256 of the file content (64 digits).
	SHA256 string
	// Width and Height are the decoded image's size in pixels.
	Width, Height int
	// Vector is the embedding: Manifest.Dim finite float32s, not all zero.
	Vector []float32
	// Meta holds the cluster label and room for more.
	Meta Meta
	// Added is when the record was stored; Put fills in the current time
	// when it is zero.
	Added time.Time
}

// Meta is a record's mutable metadata, written separately from its vector.
type Meta struct {
	Label    int32             // cluster label; NoLabel (-1) when not clustered
	Distance float32           // Euclidean distance to its cluster centre
	Extra    map[string]string // free-form; nil when empty
	// Hashes are the image's perceptual hashes (schema 3); Present is false
	// for records stored without them (imported vectors, stores made before
	// schema 3 until SetHashes fills them).
	Hashes Hashes
}

// Hashes are 64-bit perceptual hashes of a record's decoded image, compared
// by Hamming distance (internal/phash computes them). They are kept in the
// metadata value, not beside the vector, so that duplicate finding reads
// them without reading vectors, and filling them in rewrites a few bytes.
type Hashes struct {
	Present bool   // false: the record has no hashes and the values are 0
	PHash   uint64 // DCT hash of the 32×32 gray image
	DHash   uint64 // gradient (difference) hash
	PMirror uint64 // PHash of the left-right mirrored image
	// PCentre is the PHash of the image's centre (a cropped copy's PHash
	// is near it); HasCentre is false for records hashed before it was
	// added (then PCentre is 0 and a rehash fills it).
	PCentre   uint64
	HasCentre bool
}

// Clone returns a deep copy of r, safe to keep after a Scan callback returns.
func (r *Record) Clone() Record {
	c := *r
	c.Vector = slices.Clone(r.Vector)
	c.Meta.Extra = maps.Clone(r.Meta.Extra)
	return c
}

// Encoding versions: the first byte of every data and meta value. Format 2
// (schema 3) ends each value with a CRC-32C of everything before it, and the
// meta value carries the image hashes. Format-1 values (stores of schemas 1
// and 2) still decode, without a checksum to verify, until they are
// rewritten (Put, SetLabels, SetHashes, Reseal).
const (
	legacyFormat byte = 1
	dataFormat   byte = 2
	metaFormat   byte = 2
)

// crcTable is CRC-32C (Castagnoli), computed in hardware on amd64 and arm64.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// crcLen is the length of the checksum trailer.
const crcLen = 4

// seal appends the CRC-32C of v[start:] to v.
func seal(v []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(v, crc32.Checksum(v[start:], crcTable))
}

// errChecksum is the decoding error of a value whose trailer does not match
// its bytes; the store's read paths turn it into a *CorruptError matching
// ErrChecksum.
var errChecksum = errors.New("checksum mismatch: the value was damaged on disk")

// unseal checks a format-2 value's trailer and returns the value without it.
// Format-1 values are returned as they are, with sealed false.
func unseal(v []byte, format byte, what string) (body []byte, sealed bool, err error) {
	if len(v) == 0 {
		return nil, false, errShort
	}
	switch v[0] {
	case legacyFormat:
		return v, false, nil
	case format:
	default:
		return nil, false, fmt.Errorf("unknown %s format %d", what, v[0])
	}
	if len(v) < 1+crcLen {
		return nil, false, errShort
	}
	n := len(v) - crcLen
	if crc32.Checksum(v[:n], crcTable) != binary.LittleEndian.Uint32(v[n:]) {
		return nil, false, errChecksum
	}
	return v[:n], true, nil
}

// dataHeader is the part of a data value before the vector.
type dataHeader struct {
	path          []byte // aliases the value
	sha           [32]byte
	width, height uint64
	added         int64 // unix nanoseconds; 0 for the zero time
	dim           int
	vec           []byte // aliases the value: dim*4 bytes, little-endian float32
	sealed        bool   // format 2: the checksum was verified
}

// appendData encodes the data value of r (its sha must already be checked).
//
//	byte     format (2; 1 had no trailer)
//	uvarint  len(path), path
//	[32]byte sha256
//	uvarint  width, uvarint height
//	varint   added, unix nanoseconds (0 = zero time)
//	uvarint  dim, dim × float32 little-endian
//	uint32   CRC-32C of all the bytes above, little-endian
func appendData(dst []byte, r *Record, sha [32]byte) []byte {
	start := len(dst)
	dst = appendDataBody(dst, r, sha)
	return seal(dst, start)
}

func appendDataBody(dst []byte, r *Record, sha [32]byte) []byte {
	dst = append(dst, dataFormat)
	dst = binary.AppendUvarint(dst, uint64(len(r.Path)))
	dst = append(dst, r.Path...)
	dst = append(dst, sha[:]...)
	dst = binary.AppendUvarint(dst, uint64(r.Width))
	dst = binary.AppendUvarint(dst, uint64(r.Height))
	var added int64
	if !r.Added.IsZero() {
		added = r.Added.UnixNano()
	}
	dst = binary.AppendVarint(dst, added)
	dst = binary.AppendUvarint(dst, uint64(len(r.Vector)))
	return appendFloats(dst, r.Vector)
}

var errShort = errors.New("value ends early")

// reader walks an encoded value; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail(errShort)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errors.New("bad varint"))
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errors.New("bad varint"))
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// lenBytes reads a uvarint length of at most max followed by that many bytes.
func (r *reader) lenBytes(max uint64, what string) []byte {
	n := r.uvarint()
	if r.err == nil && n > max {
		r.fail(fmt.Errorf("%s length %d exceeds %d", what, n, max))
		return nil
	}
	return r.bytes(n)
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail(fmt.Errorf("%d trailing bytes", len(r.b)))
	}
	return r.err
}

// decodeData parses a data value without copying: the header's slices alias
// v. A format-2 value's checksum is verified first (errChecksum).
func decodeData(v []byte) (dataHeader, error) {
	var h dataHeader
	body, sealed, err := unseal(v, dataFormat, "record")
	if err != nil {
		return h, err
	}
	h.sealed = sealed
	r := reader{b: body}
	r.byte()
	h.path = r.lenBytes(MaxPathLen, "path")
	copy(h.sha[:], r.bytes(32))
	h.width = r.uvarint()
	h.height = r.uvarint()
	h.added = r.varint()
	dim := r.uvarint()
	if r.err == nil && dim > MaxDim {
		r.fail(fmt.Errorf("dimension %d exceeds %d", dim, MaxDim))
	}
	if r.err == nil && (h.width > math.MaxInt32 || h.height > math.MaxInt32) {
		r.fail(fmt.Errorf("image size %d×%d out of range", h.width, h.height))
	}
	h.dim = int(dim)
	h.vec = r.bytes(dim * 4)
	return h, r.end()
}

// decodeVector decodes little-endian float32s into dst, reusing its
// capacity.
func decodeVector(dst []float32, raw []byte) []float32 {
	n := len(raw) / 4
	dst = slices.Grow(dst[:0], n)[:n]
	if nativeLittleEndian {
		copy(floatBytes(dst), raw) // the stored bytes are the in-memory bytes
		return dst
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return dst
}

// appendFloats appends v as little-endian float32s.
func appendFloats(dst []byte, v []float32) []byte {
	if nativeLittleEndian {
		return append(dst, floatBytes(v)...)
	}
	for _, f := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

// nativeLittleEndian is true on little-endian machines (all the platforms
// vecimg targets), where a []float32 already is its on-disk encoding.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// floatBytes views v's memory as bytes.
func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

// fill sets the data fields of rec from h, reusing rec.Vector.
func (h *dataHeader) fill(rec *Record) {
	rec.Path = string(h.path)
	rec.SHA256 = hex.EncodeToString(h.sha[:])
	rec.Width, rec.Height = int(h.width), int(h.height)
	if h.added == 0 {
		rec.Added = time.Time{}
	} else {
		rec.Added = time.Unix(0, h.added)
	}
	rec.Vector = decodeVector(rec.Vector, h.vec)
}

// appendMeta encodes a meta value. Extra keys are written sorted so that the
// encoding is deterministic.
//
//	byte    format (2; 1 ended after the extras)
//	varint  label
//	float32 distance, little-endian
//	uvarint number of extras, then per extra: uvarint len, key, uvarint len, value
//	byte    flags: bit 0 set when the image hashes follow, bit 1 when the centre pHash follows them
//	        3 × uint64 little-endian: pHash, dHash, mirrored pHash (only with bit 0)
//	        uint64 little-endian: centre pHash (only with bit 1)
//	uint32  CRC-32C of all the bytes above, little-endian
func appendMeta(dst []byte, m *Meta) []byte {
	start := len(dst)
	dst = append(dst, metaFormat)
	dst = binary.AppendVarint(dst, int64(m.Label))
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(m.Distance))
	dst = binary.AppendUvarint(dst, uint64(len(m.Extra)))
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		v := m.Extra[k]
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	if !m.Hashes.Present {
		dst = append(dst, 0)
	} else {
		flags := flagHashes
		if m.Hashes.HasCentre {
			flags |= flagCentre
		}
		dst = append(dst, flags)
		dst = binary.LittleEndian.AppendUint64(dst, m.Hashes.PHash)
		dst = binary.LittleEndian.AppendUint64(dst, m.Hashes.DHash)
		dst = binary.LittleEndian.AppendUint64(dst, m.Hashes.PMirror)
		if m.Hashes.HasCentre {
			dst = binary.LittleEndian.AppendUint64(dst, m.Hashes.PCentre)
		}
	}
	return seal(dst, start)
}

// flagHashes is the meta flags bit saying that the hashes follow;
// flagCentre (only with flagHashes) that the centre pHash follows them.
const (
	flagHashes byte = 1
	flagCentre byte = 2
)

// maxExtra bounds one extra key or value, and the number of extras.
const maxExtra = 1 << 16

// decodeMeta parses a meta value into m. Extra is nil when there are none,
// else a fresh map. A format-2 value's checksum is verified first
// (errChecksum); a format-1 value has no hashes.
func decodeMeta(v []byte, m *Meta) error {
	body, sealed, err := unseal(v, metaFormat, "meta")
	if err != nil {
		return err
	}
	r := reader{b: body}
	r.byte()
	label := r.varint()
	if r.err == nil && (label < math.MinInt32 || label > math.MaxInt32) {
		r.fail(fmt.Errorf("label %d out of range", label))
	}
	dist := r.bytes(4)
	n := r.uvarint()
	if r.err == nil && n > maxExtra {
		r.fail(fmt.Errorf("%d extras exceed %d", n, maxExtra))
	}
	var extra map[string]string
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.lenBytes(maxExtra, "extra key")
		val := r.lenBytes(maxExtra, "extra value")
		if r.err != nil {
			break
		}
		if extra == nil {
			extra = make(map[string]string, min(n, 16))
		}
		extra[string(k)] = string(val)
	}
	var hashes Hashes
	if sealed {
		switch flags := r.byte(); {
		case r.err != nil:
		case flags&^(flagHashes|flagCentre) != 0 || flags == flagCentre:
			r.fail(fmt.Errorf("unknown meta flags %#x", flags))
		case flags&flagHashes != 0:
			if b := r.bytes(24); r.err == nil {
				hashes = Hashes{Present: true, PHash: binary.LittleEndian.Uint64(b), DHash: binary.LittleEndian.Uint64(b[8:]), PMirror: binary.LittleEndian.Uint64(b[16:])}
			}
			if flags&flagCentre != 0 {
				if b := r.bytes(8); r.err == nil {
					hashes.PCentre, hashes.HasCentre = binary.LittleEndian.Uint64(b), true
				}
			}
		}
	}
	if err := r.end(); err != nil {
		return err
	}
	m.Hashes = hashes
	m.Label = int32(label)
	m.Distance = math.Float32frombits(binary.LittleEndian.Uint32(dist))
	m.Extra = extra
	return nil
}

// parseSHA decodes a 64-digit hex SHA-256.
func parseSHA(s string) ([32]byte, error) {
	var sha [32]byte
	if len(s) != 64 {
		return sha, fmt.Errorf("%w: sha256 %q is not 64 hex digits", ErrInvalid, s)
	}
	if _, err := hex.Decode(sha[:], []byte(s)); err != nil {
		return sha, fmt.Errorf("%w: sha256 %q is not hex", ErrInvalid, s)
	}
	return sha, nil
}

// checkID validates a record id with the shared rule (internal/vec).
func checkID(id string) error {
	if err := vec.CheckID(id); err != nil {
		return fmt.Errorf("%w: record id: %w", ErrInvalid, err)
	}
	return nil
}

// checkVector reports why v cannot be stored, or nil (internal/vec's rule).
func checkVector(v []float32, dim int) error {
	return vec.Check(v, dim)
}

// checkRecord validates r against the store's dimension and returns its
// decoded hash.
func checkRecord(r *Record, dim int) ([32]byte, error) {
	var sha [32]byte
	if err := checkID(r.ID); err != nil {
		return sha, err
	}
	bad := func(format string, args ...any) ([32]byte, error) {
		return sha, fmt.Errorf("%w: record %q: %s", ErrInvalid, r.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case r.Path == "":
		return bad("empty path")
	case len(r.Path) > MaxPathLen:
		return bad("path is %d bytes, more than %d", len(r.Path), MaxPathLen)
	case strings.IndexByte(r.Path, 0) >= 0:
		return bad("path contains a NUL byte")
	case r.Width < 0 || r.Height < 0 || r.Width > math.MaxInt32 || r.Height > math.MaxInt32:
		return bad("image size %d×%d out of range", r.Width, r.Height)
	}
	sha, err := parseSHA(r.SHA256)
	if err != nil {
		return sha, fmt.Errorf("record %q: %w", r.ID, err)
	}
	if err := checkVector(r.Vector, dim); err != nil {
		return bad("%v", err)
	}
	for k, v := range r.Meta.Extra {
		if len(k) > maxExtra || len(v) > maxExtra {
			return bad("meta extra %.40q is longer than %d bytes", k, maxExtra)
		}
	}
	if len(r.Meta.Extra) > maxExtra {
		return bad("more than %d meta extras", maxExtra)
	}
	if err := r.Meta.Hashes.check(); err != nil {
		return bad("%v", err)
	}
	return sha, nil
}

// check refuses hash values on Hashes that say they are absent.
func (h Hashes) check() error {
	if !h.Present && (h.PHash != 0 || h.DHash != 0 || h.PMirror != 0 || h.HasCentre) {
		return errors.New("hashes with values but Present false")
	}
	if !h.HasCentre && h.PCentre != 0 {
		return errors.New("a centre pHash but HasCentre false")
	}
	return nil
}
