package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
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
}

// Clone returns a deep copy of r, safe to keep after a Scan callback returns.
func (r *Record) Clone() Record {
	c := *r
	c.Vector = slices.Clone(r.Vector)
	c.Meta.Extra = maps.Clone(r.Meta.Extra)
	return c
}

// Encoding versions: the first byte of every data and meta value.
const (
	dataFormat byte = 1
	metaFormat byte = 1
)

// dataHeader is the part of a data value before the vector.
type dataHeader struct {
	path          []byte // aliases the value
	sha           [32]byte
	width, height uint64
	added         int64 // unix nanoseconds; 0 for the zero time
	dim           int
	vec           []byte // aliases the value: dim*4 bytes, little-endian float32
}

// appendData encodes the data value of r (its sha must already be checked).
//
//	byte     format (1)
//	uvarint  len(path), path
//	[32]byte sha256
//	uvarint  width, uvarint height
//	varint   added, unix nanoseconds (0 = zero time)
//	uvarint  dim, dim × float32 little-endian
func appendData(dst []byte, r *Record, sha [32]byte) []byte {
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

// decodeData parses a data value without copying: the header's slices alias v.
func decodeData(v []byte) (dataHeader, error) {
	var h dataHeader
	r := reader{b: v}
	if f := r.byte(); r.err == nil && f != dataFormat {
		return h, fmt.Errorf("unknown record format %d", f)
	}
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
//	byte    format (1)
//	varint  label
//	float32 distance, little-endian
//	uvarint number of extras, then per extra: uvarint len, key, uvarint len, value
func appendMeta(dst []byte, m *Meta) []byte {
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
	return dst
}

// maxExtra bounds one extra key or value, and the number of extras.
const maxExtra = 1 << 16

// decodeMeta parses a meta value into m. Extra is nil when there are none,
// else a fresh map.
func decodeMeta(v []byte, m *Meta) error {
	r := reader{b: v}
	if f := r.byte(); r.err == nil && f != metaFormat {
		return fmt.Errorf("unknown meta format %d", f)
	}
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
	if err := r.end(); err != nil {
		return err
	}
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
	return sha, nil
}
