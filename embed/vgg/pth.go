package vgg

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"strings"

	"github.com/x448/float16"
)

// This file reads the two container formats torch.save writes:
//
//   - zip (torch ≥ 1.6): <dir>/data.pkl is the pickled object; each storage
//     is its own uncompressed record <dir>/data/<key>.
//   - legacy (what torchvision's vgg16-397923af.pth is): five pickles in a
//     row (magic number, protocol version 1001, system info, the object,
//     the sorted list of storage keys), then each storage in that order as
//     an int64 element count followed by its raw little-endian elements.
//
// Tensors inside the object are references (storage, offset, shape, stride);
// only the tensors asked for are read, each straight into its []float32.

// legacyMagic is the number torch's legacy format starts with.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

const legacyProtocol = 1001

// dtype describes one torch storage class.
type dtype struct {
	name  string // e.g. "FloatStorage"
	size  int64  // bytes per element
	float bool   // readable as float32 here
}

var storageTypes = map[string]dtype{}

func init() {
	for _, d := range []dtype{
		{"FloatStorage", 4, true}, {"HalfStorage", 2, true}, {"BFloat16Storage", 2, true},
		{"DoubleStorage", 8, true},
		{"LongStorage", 8, false}, {"IntStorage", 4, false}, {"ShortStorage", 2, false},
		{"CharStorage", 1, false}, {"ByteStorage", 1, false}, {"BoolStorage", 1, false},
		{"ComplexFloatStorage", 8, false}, {"ComplexDoubleStorage", 16, false},
		{"QInt8Storage", 1, false}, {"QUInt8Storage", 1, false}, {"QInt32Storage", 4, false},
		{"QUInt4x2Storage", 1, false}, {"QUInt2x4Storage", 1, false},
	} {
		storageTypes[d.name] = d
	}
}

// storage is one torch storage: a flat array of numel elements.
type storage struct {
	key   string
	dt    dtype
	numel int64
	// off is the absolute file offset of its first byte, -1 until the
	// container is indexed. crc and crcBytes (zip only) are its record's
	// CRC-32 and length, to check reads of the whole storage.
	off      int64
	crc      uint32
	crcBytes int64
}

// storageView is what a persistent id resolves to: a storage, possibly seen
// from an element offset (legacy views).
type storageView struct {
	st     *storage
	offset int64
}

// tensorRef is a tensor found in the pickle: its data is read on demand.
type tensorRef struct {
	st     *storage
	offset int64 // in elements
	shape  []int64
	stride []int64
}

func (t *tensorRef) numel() int64 {
	n := int64(1)
	for _, d := range t.shape {
		n *= d // dims were bounded by the storage size when t was built
	}
	return n
}

// pthFile is an indexed .pth: the unpickled object and its storages.
type pthFile struct {
	name     string
	r        io.ReaderAt
	size     int64
	root     any
	storages map[string]*storage
}

func (p *pthFile) corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, p.name, fmt.Sprintf(format, a...))
}

// openPTH detects the format and indexes the file; no tensor data is read.
func openPTH(r io.ReaderAt, size int64, name string) (*pthFile, error) {
	p := &pthFile{name: name, r: r, size: size, storages: map[string]*storage{}}
	head := make([]byte, 512)
	n, err := r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	head = head[:n]
	switch {
	case len(head) >= 4 && (string(head[:4]) == "PK\x03\x04" || string(head[:4]) == "PK\x05\x06"):
		err = p.indexZip()
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2:
		err = p.indexLegacy()
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		err = fmt.Errorf("%w: %s is a tar archive: the tar format of torch before 0.1.10 is not supported; load it in PyTorch and torch.save(model.state_dict(), path) again", ErrNotPTH, name)
	default:
		err = fmt.Errorf("%w: %s is neither a zip archive nor a legacy torch pickle (it starts with % x)", ErrNotPTH, name, head[:min(len(head), 8)])
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ---- zip format ----

func (p *pthFile) indexZip() error {
	zr, err := zip.NewReader(p.r, p.size)
	if err != nil {
		return p.corrupt("starts like a zip archive but cannot be read as one (truncated or damaged?): %v", err)
	}
	var dataPkl *zip.File
	prefix := ""
	records := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		records[f.Name] = f
		dir, base := splitRecord(f.Name)
		if base == "data.pkl" && !strings.Contains(dir, "/") {
			if dataPkl != nil {
				return fmt.Errorf("%w: %s: more than one data.pkl (%s and %s)", ErrNotPTH, p.name, dataPkl.Name, f.Name)
			}
			dataPkl = f
			if dir != "" {
				prefix = dir + "/"
			}
		}
	}
	if dataPkl == nil {
		return fmt.Errorf("%w: %s is a zip archive without data.pkl, not a torch.save file", ErrNotPTH, p.name)
	}
	if _, ok := records[prefix+"constants.pkl"]; ok {
		return fmt.Errorf("%w: %s is a TorchScript archive; save the state_dict instead: torch.save(model.state_dict(), path)", ErrNotPTH, p.name)
	}
	if bo, ok := records[prefix+"byteorder"]; ok {
		b, err := readSmallRecord(bo, 16)
		if err != nil {
			return p.corrupt("reading %s: %v", bo.Name, err)
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return fmt.Errorf("%w: %s: byte order %q; only little-endian files are supported", ErrWeights, p.name, s)
		}
	}
	if dataPkl.UncompressedSize64 > maxPickleBytes {
		return p.corrupt("%s declares %d bytes; a state_dict's pickle is far smaller", dataPkl.Name, dataPkl.UncompressedSize64)
	}
	rc, err := dataPkl.Open()
	if err != nil {
		return p.corrupt("opening %s: %v", dataPkl.Name, err)
	}
	defer rc.Close()
	src := &pickleSource{r: bufio.NewReader(rc), limit: int64(dataPkl.UncompressedSize64)}
	u := newUnpickler(src)
	u.reduce = p.reduce
	u.persistentLoad = func(pid any) (any, error) {
		return p.zipStorage(pid, prefix, records)
	}
	root, err := u.load()
	if err != nil {
		return p.corrupt("%s: %v", dataPkl.Name, err)
	}
	p.root = root
	return nil
}

func splitRecord(name string) (dir, base string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

func readSmallRecord(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}

// zipStorage resolves ('storage', torch.<T>Storage, key, location, numel).
func (p *pthFile) zipStorage(pid any, prefix string, records map[string]*zip.File) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return nil, fmt.Errorf("persistent id %v is not a storage reference", describe(pid))
	}
	dt, key, numel, err := parseStorageID(t)
	if err != nil {
		return nil, err
	}
	if st, ok := p.storages[key]; ok {
		if st.dt != dt || st.numel != numel {
			return nil, fmt.Errorf("storage %q is referenced as both %s[%d] and %s[%d]", key, st.dt.name, st.numel, dt.name, numel)
		}
		return storageView{st: st}, nil
	}
	rec, ok := records[prefix+"data/"+key]
	if !ok {
		return nil, fmt.Errorf("storage %q has no record %sdata/%s", key, prefix, key)
	}
	if numel > int64(rec.UncompressedSize64/uint64(dt.size)) {
		return nil, fmt.Errorf("storage %q: %d %s elements do not fit its %d-byte record", key, numel, dt.name, rec.UncompressedSize64)
	}
	// torch.save stores storages uncompressed (so that they can be mapped);
	// a compressed one could claim any size, so it is refused rather than
	// inflated into memory its header asks for.
	if rec.Method != zip.Store {
		return nil, fmt.Errorf("storage %q is compressed (zip method %d); torch.save writes storages uncompressed: load and save the file with torch again", key, rec.Method)
	}
	off, err := rec.DataOffset()
	if err != nil {
		return nil, fmt.Errorf("storage %q: %v", key, err)
	}
	if rec.CompressedSize64 != rec.UncompressedSize64 || off < 0 || off > p.size || rec.CompressedSize64 > uint64(p.size-off) {
		return nil, fmt.Errorf("storage %q: record runs past the end of the file", key)
	}
	st := &storage{key: key, dt: dt, numel: numel, off: off, crc: rec.CRC32, crcBytes: int64(rec.UncompressedSize64)}
	p.storages[key] = st
	return storageView{st: st}, nil
}

func parseStorageID(t pyTuple) (dt dtype, key string, numel int64, err error) {
	g, ok := t[1].(pyGlobal)
	if !ok || g.module != "torch" {
		return dt, "", 0, fmt.Errorf("storage type %v is not a torch storage class", describe(t[1]))
	}
	dt, ok = storageTypes[g.name]
	if !ok {
		return dt, "", 0, fmt.Errorf("unsupported storage type %s", g)
	}
	key, ok = t[2].(string)
	if !ok {
		return dt, "", 0, fmt.Errorf("storage key %v is not a string", describe(t[2]))
	}
	numel, ok = t[4].(int64)
	if !ok || numel < 0 {
		return dt, "", 0, fmt.Errorf("storage %q: element count %v is not a non-negative integer", key, describe(t[4]))
	}
	return dt, key, numel, nil
}

// ---- legacy format ----

func (p *pthFile) indexLegacy() error {
	src := &pickleSource{r: bufio.NewReaderSize(io.NewSectionReader(p.r, 0, p.size), 64<<10)}
	next := func(u *unpickler) (any, error) {
		src.limit = min(p.size, src.pos+maxPickleBytes)
		return u.load()
	}
	magic, err := next(newUnpickler(src))
	if m, ok := magic.(*big.Int); err != nil || !ok || m.Cmp(legacyMagic) != 0 {
		return fmt.Errorf("%w: %s starts with a pickle but not torch's magic number", ErrNotPTH, p.name)
	}
	proto, err := next(newUnpickler(src))
	if err != nil {
		return p.corrupt("reading the protocol version: %v", err)
	}
	if proto != int64(legacyProtocol) {
		return p.corrupt("legacy protocol version %v, expected %d", describe(proto), legacyProtocol)
	}
	sysInfo, err := next(newUnpickler(src))
	if err != nil {
		return p.corrupt("reading the system info: %v", err)
	}
	if d, ok := sysInfo.(*pyDict); ok {
		if le, ok := d.get("little_endian"); ok && le == false {
			return fmt.Errorf("%w: %s was saved on a big-endian machine; only little-endian files are supported", ErrWeights, p.name)
		}
	}
	u := newUnpickler(src)
	u.reduce = p.reduce
	u.persistentLoad = p.legacyStorage
	root, err := next(u)
	if err != nil {
		return p.corrupt("reading the object: %v", err)
	}
	p.root = root
	keysObj, err := next(newUnpickler(src))
	if err != nil {
		return p.corrupt("reading the storage keys: %v", err)
	}
	keys, ok := keysObj.(*pyList)
	if !ok {
		return p.corrupt("storage keys are a %s, not a list", describe(keysObj))
	}
	pos := src.pos
	var hdr [8]byte
	for _, k := range keys.items {
		key, ok := k.(string)
		if !ok {
			return p.corrupt("storage key %v is not a string", describe(k))
		}
		st, ok := p.storages[key]
		if !ok {
			return p.corrupt("storage %q is listed but never referenced", key)
		}
		if pos > p.size-8 {
			return p.corrupt("truncated: storage %q should start at byte %d of %d", key, pos, p.size)
		}
		if n, err := p.r.ReadAt(hdr[:], pos); n < len(hdr) {
			return p.corrupt("reading storage %q at byte %d: %v", key, pos, err)
		}
		n := int64(binary.LittleEndian.Uint64(hdr[:]))
		if n != st.numel {
			return p.corrupt("storage %q holds %d elements, its references say %d", key, n, st.numel)
		}
		pos += 8
		if n > (p.size-pos)/st.dt.size {
			return p.corrupt("truncated: storage %q (%d × %d bytes at byte %d) runs past the end (%d bytes)", key, n, st.dt.size, pos, p.size)
		}
		st.off = pos
		pos += n * st.dt.size
	}
	return nil
}

// legacyStorage resolves ('storage', type, root_key, location, numel,
// view_metadata) and ('module', ...) ids.
func (p *pthFile) legacyStorage(pid any) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) == 0 {
		return nil, fmt.Errorf("persistent id %v is not a tuple", describe(pid))
	}
	switch t[0] {
	case "module": // a pickled nn.Module class: inert here
		return &pyObject{class: pyGlobal{"torch", "module"}, args: []any(t)}, nil
	case "storage":
	default:
		return nil, fmt.Errorf("persistent id of unknown kind %v", describe(t[0]))
	}
	if len(t) < 5 {
		return nil, fmt.Errorf("storage id with %d fields, expected 6", len(t))
	}
	dt, key, numel, err := parseStorageID(t)
	if err != nil {
		return nil, err
	}
	st, ok := p.storages[key]
	if !ok {
		// Bound the element count by the file before anything trusts it.
		if numel > p.size/dt.size {
			return nil, fmt.Errorf("storage %q: %d elements of %d bytes exceed the file size", key, numel, dt.size)
		}
		st = &storage{key: key, dt: dt, numel: numel, off: -1}
		p.storages[key] = st
	} else if st.dt != dt || st.numel != numel {
		return nil, fmt.Errorf("storage %q is referenced as both %s[%d] and %s[%d]", key, st.dt.name, st.numel, dt.name, numel)
	}
	if len(t) < 6 || t[5] == nil {
		return storageView{st: st}, nil
	}
	view, ok := t[5].(pyTuple)
	if !ok || len(view) != 3 {
		return nil, fmt.Errorf("storage %q: view metadata %v is not (key, offset, size)", key, describe(t[5]))
	}
	off, ok1 := view[1].(int64)
	size, ok2 := view[2].(int64)
	if !ok1 || !ok2 || off < 0 || size < 0 || off > st.numel || size > st.numel-off {
		return nil, fmt.Errorf("storage %q: view (%v, %v) outside its %d elements", key, describe(view[1]), describe(view[2]), st.numel)
	}
	return storageView{st: st, offset: off}, nil
}

// ---- tensors ----

// reduce turns torch's tensor and parameter rebuild calls into tensorRefs.
func (p *pthFile) reduce(fn pyGlobal, args pyTuple) (any, bool, error) {
	if fn.module != "torch._utils" {
		return nil, false, nil
	}
	switch fn.name {
	case "_rebuild_tensor", "_rebuild_tensor_v2":
		if len(args) < 4 {
			return nil, true, fmt.Errorf("%d arguments, expected at least 4", len(args))
		}
		t, err := newTensorRef(args[0], args[1], args[2], args[3])
		return t, true, err
	case "_rebuild_parameter", "_rebuild_parameter_with_state":
		if len(args) < 1 {
			return nil, true, errors.New("no arguments")
		}
		return args[0], true, nil
	}
	return nil, false, nil
}

func newTensorRef(storageArg, offsetArg, sizeArg, strideArg any) (*tensorRef, error) {
	sv, ok := storageArg.(storageView)
	if !ok {
		return nil, fmt.Errorf("tensor storage is a %s, not a storage reference", describe(storageArg))
	}
	off, ok := offsetArg.(int64)
	if !ok || off < 0 {
		return nil, fmt.Errorf("tensor storage offset %v is not a non-negative integer", describe(offsetArg))
	}
	shape, err := int64s(sizeArg, "size")
	if err != nil {
		return nil, err
	}
	stride, err := int64s(strideArg, "stride")
	if err != nil {
		return nil, err
	}
	if len(stride) != len(shape) {
		return nil, fmt.Errorf("tensor size %v and stride %v differ in rank", shape, stride)
	}
	st := sv.st
	off += sv.offset
	if off > st.numel {
		return nil, fmt.Errorf("tensor offset %d beyond its storage's %d elements", off, st.numel)
	}
	avail := st.numel - off
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("negative tensor size %v", shape)
		}
		if d > 0 && n > avail/d {
			return nil, fmt.Errorf("tensor size %v needs more than the %d elements its storage has from offset %d", shape, avail, off)
		}
		n *= d
	}
	return &tensorRef{st: st, offset: off, shape: shape, stride: stride}, nil
}

func int64s(v any, what string) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("tensor %s is a %s, not a tuple", what, describe(v))
	}
	out := make([]int64, len(t))
	for i, e := range t {
		n, ok := e.(int64)
		if !ok {
			return nil, fmt.Errorf("tensor %s %v holds a non-integer", what, describe(v))
		}
		out[i] = n
	}
	return out, nil
}

// readFloat32 reads a contiguous floating-point tensor into a new []float32.
// The caller has checked its shape, so the element count is bounded by the
// storage, whose bytes were bounded by the file.
func (p *pthFile) readFloat32(key string, t *tensorRef) ([]float32, error) {
	st := t.st
	if !st.dt.float {
		return nil, fmt.Errorf("%w: %s: %s is a %s tensor; expected floating point", ErrWeights, p.name, key, st.dt.name)
	}
	n := t.numel()
	if n > st.numel-t.offset {
		return nil, p.corrupt("%s: %d elements from offset %d exceed its storage's %d", key, n, t.offset, st.numel)
	}
	want := int64(1)
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] != 1 && t.stride[i] != want {
			return nil, fmt.Errorf("%w: %s: %s is not contiguous (size %v, stride %v); save it with .contiguous()", ErrWeights, p.name, key, t.shape, t.stride)
		}
		want *= t.shape[i]
	}
	if st.off < 0 {
		return nil, p.corrupt("%s: storage %q has no data in the file", key, st.key)
	}
	dst := make([]float32, n)
	if n == 0 {
		return dst, nil
	}
	nbytes := n * st.dt.size
	byteOff := t.offset * st.dt.size
	src := io.NewSectionReader(p.r, st.off+byteOff, nbytes)
	whole := st.crcBytes > 0 && byteOff == 0 && nbytes == st.crcBytes
	var err error
	if st.dt.name == "FloatStorage" && nativeLittleEndian {
		b := float32Bytes(dst)
		if _, err = io.ReadFull(src, b); err == nil && whole && crc32.ChecksumIEEE(b) != st.crc {
			return nil, p.corrupt("%s: storage %q fails its zip CRC-32 check", key, st.key)
		}
	} else {
		err = decodeFloats(dst, src, st.dt)
	}
	if err != nil {
		return nil, p.corrupt("%s: reading %d bytes of storage %q: %v", key, nbytes, st.key, eofUnexpected(err))
	}
	return dst, nil
}

// decodeFloats fills dst from little-endian elements of type dt, in chunks.
func decodeFloats(dst []float32, src io.Reader, dt dtype) error {
	buf := make([]byte, 64<<10)
	per := int(dt.size)
	for i := 0; i < len(dst); {
		k := min(len(dst)-i, len(buf)/per)
		b := buf[:k*per]
		if _, err := io.ReadFull(src, b); err != nil {
			return err
		}
		for j := range k {
			e := b[j*per:]
			switch dt.name {
			case "FloatStorage":
				dst[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(e))
			case "HalfStorage":
				dst[i+j] = float16.Frombits(binary.LittleEndian.Uint16(e)).Float32()
			case "BFloat16Storage":
				dst[i+j] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(e)) << 16)
			case "DoubleStorage":
				dst[i+j] = float32(math.Float64frombits(binary.LittleEndian.Uint64(e)))
			}
		}
		i += k
	}
	return nil
}

// describe names a pickled value briefly for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return fmt.Sprintf("%q", x)
	case int64, bool, float64:
		return fmt.Sprint(x)
	case *big.Int:
		return "a big integer"
	case pyGlobal:
		return x.String()
	case pyTuple:
		return fmt.Sprintf("a %d-tuple", len(x))
	case *pyList:
		return fmt.Sprintf("a list of %d", len(x.items))
	case *pyDict:
		return fmt.Sprintf("a dict of %d", len(x.keys))
	case *pyObject:
		return "a " + x.class.String() + " object"
	case *tensorRef:
		return "a tensor"
	case storageView:
		return "a storage"
	case []byte:
		return fmt.Sprintf("%d bytes", len(x))
	}
	return fmt.Sprintf("a %T", v)
}
