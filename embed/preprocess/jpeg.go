package preprocess

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// A JPEG decoder for the common case, exact to libjpeg-turbo.
//
// It handles Huffman-coded baseline, extended-sequential and progressive
// JPEGs with 8-bit samples: gray, YCbCr (luma factors 1x1, 2x1, 2x2, 1x2,
// 4x1 or 4x2 over 1x1 chroma) and unsubsampled CMYK. Samples come from
// libjpeg's integer IDCT (idct.go); chroma upsampling and colour conversion
// then happen in ycc.go. Everything else (YCCK, RGB-coded, other sampling
// factors) returns errJPEGFallback and Decode uses Go's image/jpeg instead;
// arithmetic, lossless, hierarchical and 12-bit JPEGs, which neither reads,
// return a jpegFeatureError naming the feature. Any error here falls back
// the same way, so this decoder can only bring pixels closer to cv2's, never
// turn a file that Go's decoder reads into a failure.
//
// Written from the JPEG specification (ITU-T T.81: markers, canonical
// Huffman codes, the progressive refinement procedures). Where libjpeg pads
// an entropy-coded segment that ends early with zero bits and carries on,
// this decoder stops, and the file is reported as truncated.

var errJPEGFallback = errors.New("jpeg: left to image/jpeg")

// unzig maps the zig-zag index of a coefficient to its natural (row-major) index.
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

type jpegComponent struct {
	id     uint8
	h, v   int
	tq     uint8
	bw, bh int // blocks stored per row / column (whole MCUs)
	cw, ch int // blocks covering the component's own samples
	// Blocks [bx0, bx1) × [by0, by1) are reconstructed: all of them unless
	// the caller asked for a region only.
	bx0, bx1, by0, by1 int
	coef               []int16 // progressive: bw*bh blocks of 64 coefficients, natural order
	plane              []uint8 // samples, 8*bw wide and 8*bh high
	pred               int32   // DC predictor
	q                  [64]int32
	qSet               bool // q latched (at the component's first scan, as libjpeg does)
	seen               bool // appeared in a scan
}

type huffTable struct {
	ok      bool
	lut     [1 << huffLookBits]uint16 // (length << 8) | symbol; 0 when the code is longer
	maxcode [18]int32
	valptr  [17]int32
	mincode [17]int32
	vals    [256]uint8
}

const huffLookBits = 9

type jpegDecoder struct {
	data []byte
	pos  int

	// Entropy-coded segment bit reader.
	acc     uint64
	nbits   int  // bits in acc
	padding int  // how many of those bits are zero padding past a marker or the end
	stopped bool // reached a marker (or the end): only padding from now on

	w, h         int
	wantW, wantH int
	region       image.Rectangle // pixels the caller will read; empty means all
	scratch      *[]uint8        // when set, planes are carved from (and grow) it
	comps        []jpegComponent
	hmax, vmax   int
	mcux, mcuy   int
	progressive  bool
	sof          bool
	qt           [4][64]int32
	qtSet        [4]bool
	dc, ac       [4]huffTable
	restart      int
	eobrun       int
	block        [64]int16 // scratch block for sequential scans
	adobe        bool
	adobeXform   uint8
	jfif         bool
	scans        int
}

var errJPEGShort = errors.New("jpeg: entropy data ends early")

// jpegFeatureError names a JPEG feature that neither decoder supports.
type jpegFeatureError string

func (e jpegFeatureError) Error() string { return "jpeg: unsupported " + string(e) }

// decodeJPEG decodes data, or returns errJPEGFallback (or another error,
// treated the same by the caller) for what it does not handle. The frame
// must be w×h pixels (the size the caller checked against its limits):
// nothing is allocated for any other size. When region is not empty, only
// the blocks that pixels in region depend on (through chroma upsampling
// too) are reconstructed; the others stay zero.
//
// With scratch set, the sample planes live in *scratch (grown as needed)
// instead of fresh memory, so the image is only valid until the next use of
// scratch, and samples of blocks outside region are left as they were.
func decodeJPEG(data []byte, w, h int, region image.Rectangle, scratch *[]uint8) (image.Image, error) {
	d := &jpegDecoder{data: data, wantW: w, wantH: h, region: region, scratch: scratch}
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil, errJPEGFallback
	}
	d.pos = 2
	for {
		marker, err := d.nextMarker()
		if err != nil {
			// The end of the data without EOI: libjpeg accepts a complete
			// sequential image (with a warning); anything else is left to Go.
			if d.sof && !d.progressive && d.allSeen() {
				break
			}
			return nil, err
		}
		if marker == 0xd9 { // EOI
			break
		}
		if err := d.segment(marker); err != nil {
			return nil, err
		}
	}
	if !d.sof || d.scans == 0 || !d.allSeen() {
		return nil, errJPEGFallback
	}
	return d.reconstruct()
}

func (d *jpegDecoder) allSeen() bool {
	for i := range d.comps {
		if !d.comps[i].seen {
			return false
		}
	}
	return len(d.comps) > 0
}

// nextMarker skips to the next marker and returns its code.
func (d *jpegDecoder) nextMarker() (byte, error) {
	for d.pos+1 < len(d.data) {
		if d.data[d.pos] != 0xff {
			d.pos++ // extraneous bytes (libjpeg warns and skips them)
			continue
		}
		m := d.data[d.pos+1]
		if m == 0xff {
			d.pos++
			continue
		}
		d.pos += 2
		if m == 0x00 || (m >= 0xd0 && m <= 0xd7) || m == 0x01 {
			continue // stuffed byte, stray RST or TEM: not a segment
		}
		return m, nil
	}
	return 0, errJPEGShort
}

// segment handles the marker segment m at d.pos (just after the marker).
func (d *jpegDecoder) segment(m byte) error {
	if d.pos+2 > len(d.data) {
		return errJPEGShort
	}
	n := int(binary.BigEndian.Uint16(d.data[d.pos:]))
	if n < 2 || d.pos+n > len(d.data) {
		return errJPEGShort
	}
	body := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	switch {
	case m == 0xc0 || m == 0xc1 || m == 0xc2:
		return d.frame(body, m == 0xc2)
	case m >= 0xc3 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
		return jpegFeatureError(sofFeature(m))
	case m == 0xc4:
		return d.huffman(body)
	case m == 0xdb:
		return d.quant(body)
	case m == 0xdd:
		if len(body) < 2 {
			return errJPEGFallback
		}
		d.restart = int(binary.BigEndian.Uint16(body))
	case m == 0xda:
		return d.scan(body)
	case m == 0xe0:
		if len(body) >= 5 && string(body[:5]) == "JFIF\x00" {
			d.jfif = true
		}
	case m == 0xee:
		if len(body) >= 12 && string(body[:5]) == "Adobe" {
			d.adobe, d.adobeXform = true, body[11]
		}
	case m == 0xdc: // DNL
		return errJPEGFallback
	}
	return nil
}

// sofFeature names the coding of a frame marker that neither this decoder
// nor image/jpeg reads (SOF3, SOF5-7, SOF9-11, SOF13-15).
func sofFeature(m byte) string {
	switch {
	case m >= 0xc9:
		return "arithmetic coding"
	case m == 0xc3 || m == 0xc7:
		return "lossless coding"
	}
	return "hierarchical coding"
}

// jpegFeature names the unsupported coding of a JPEG's frame (arithmetic,
// lossless, hierarchical, not 8-bit), or returns "" when the frame header
// is an ordinary one or cannot be found. It reads marker segments only.
func jpegFeature(data []byte) string {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return ""
	}
	d := &jpegDecoder{data: data, pos: 2}
	for {
		m, err := d.nextMarker()
		if err != nil || m == 0xda || m == 0xd9 || d.pos+2 > len(data) {
			return ""
		}
		n := int(binary.BigEndian.Uint16(data[d.pos:]))
		if n < 2 || d.pos+n > len(data) {
			return ""
		}
		body := data[d.pos+2 : d.pos+n]
		d.pos += n
		switch {
		case m == 0xc0 || m == 0xc1 || m == 0xc2:
			if len(body) > 0 && body[0] != 8 {
				return fmt.Sprintf("%d-bit samples", body[0])
			}
			return ""
		case m >= 0xc3 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return sofFeature(m)
		}
	}
}

func (d *jpegDecoder) frame(b []byte, progressive bool) error {
	if d.sof || len(b) < 6 {
		return errJPEGFallback
	}
	if b[0] != 8 {
		return jpegFeatureError(fmt.Sprintf("%d-bit samples", b[0]))
	}
	d.sof, d.progressive = true, progressive
	d.h = int(binary.BigEndian.Uint16(b[1:]))
	d.w = int(binary.BigEndian.Uint16(b[3:]))
	nc := int(b[5])
	if d.w != d.wantW || d.h != d.wantH {
		return errJPEGFallback
	}
	if d.w == 0 || d.h == 0 || (nc != 1 && nc != 3 && nc != 4) || len(b) < 6+3*nc {
		return errJPEGFallback
	}
	d.comps = make([]jpegComponent, nc)
	for i := range d.comps {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = b[6+3*i], int(b[7+3*i]>>4), int(b[7+3*i]&15), b[8+3*i]
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errJPEGFallback
		}
		for j := range i {
			if d.comps[j].id == c.id {
				return errJPEGFallback
			}
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcux = (d.w + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcuy = (d.h + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		c.bw, c.bh = d.mcux*c.h, d.mcuy*c.v
		// The component's own size, ceil(w*h/hmax), in blocks.
		c.cw = ((d.w*c.h+d.hmax-1)/d.hmax + 7) / 8
		c.ch = ((d.h*c.v+d.vmax-1)/d.vmax + 7) / 8
		c.bx0, c.bx1, c.by0, c.by1 = 0, c.cw, 0, c.ch
		if !d.region.Empty() {
			// Samples under the region, one more each side for the chroma
			// filters, in blocks.
			sx0 := d.region.Min.X*c.h/d.hmax - 1
			sx1 := (d.region.Max.X*c.h+d.hmax-1)/d.hmax + 1
			sy0 := d.region.Min.Y*c.v/d.vmax - 1
			sy1 := (d.region.Max.Y*c.v+d.vmax-1)/d.vmax + 1
			c.bx0, c.bx1 = max(sx0, 0)/8, min((sx1+7)/8, c.cw)
			c.by0, c.by1 = max(sy0, 0)/8, min((sy1+7)/8, c.ch)
		}
		if progressive {
			c.coef = make([]int16, c.bw*c.bh*64)
		}
	}
	total := 0
	for i := range d.comps {
		total += 64 * d.comps[i].bw * d.comps[i].bh
	}
	var buf []uint8
	if d.scratch != nil {
		*d.scratch = growUint8(*d.scratch, total)
		buf = *d.scratch
	} else {
		buf = make([]uint8, total)
	}
	for i := range d.comps {
		c := &d.comps[i]
		n := 64 * c.bw * c.bh
		c.plane, buf = buf[:n:n], buf[n:]
	}
	return nil
}

// colorSpace checks, once all header markers are in (at the first scan, as
// libjpeg decides), that the frame is one this decoder reproduces exactly.
func (d *jpegDecoder) colorSpace() error {
	switch len(d.comps) {
	case 3:
		// Only YCbCr with the luma carrying the largest factors and equal
		// chroma factors (what image.YCbCr can hold); RGB-coded files
		// (Adobe transform 0, or ids 'R','G','B' without JFIF) go to Go.
		y, cb, cr := d.comps[0], d.comps[1], d.comps[2]
		if y.h != d.hmax || y.v != d.vmax || cb.h != cr.h || cb.v != cr.v || cb.h != 1 || cb.v != 1 {
			return errJPEGFallback
		}
		if d.adobe && d.adobeXform == 0 {
			return errJPEGFallback
		}
		if !d.jfif && !d.adobe && y.id == 'R' && cb.id == 'G' && cr.id == 'B' {
			return errJPEGFallback
		}
		switch [2]int{y.h, y.v} {
		case [2]int{1, 1}, [2]int{2, 1}, [2]int{2, 2}, [2]int{1, 2}, [2]int{4, 1}, [2]int{4, 2}:
		default:
			return errJPEGFallback
		}
	case 4:
		// CMYK (Adobe transform 0, or no Adobe marker), without subsampling.
		// YCCK is left to Go's decoder: no fixture here can check it.
		if d.adobe && d.adobeXform != 0 {
			return errJPEGFallback
		}
		for _, c := range d.comps {
			if c.h != d.hmax || c.v != d.vmax {
				return errJPEGFallback
			}
		}
	}
	return nil
}

func (d *jpegDecoder) quant(b []byte) error {
	for len(b) > 0 {
		pq, tq := b[0]>>4, b[0]&15
		if tq > 3 || pq > 1 {
			return errJPEGFallback
		}
		size := 64 * (1 + int(pq))
		if len(b) < 1+size {
			return errJPEGFallback
		}
		for k := range 64 {
			var v int32
			if pq == 0 {
				v = int32(b[1+k])
			} else {
				v = int32(binary.BigEndian.Uint16(b[1+2*k:]))
			}
			d.qt[tq][unzig[k]] = v
		}
		d.qtSet[tq] = true
		b = b[1+size:]
	}
	return nil
}

func (d *jpegDecoder) huffman(b []byte) error {
	for len(b) > 0 {
		if len(b) < 17 {
			return errJPEGFallback
		}
		class, id := b[0]>>4, b[0]&15
		if class > 1 || id > 3 {
			return errJPEGFallback
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(b[l])
			total += counts[l]
		}
		if total > 256 || len(b) < 17+total {
			return errJPEGFallback
		}
		t := &d.dc[id]
		if class == 1 {
			t = &d.ac[id]
		}
		*t = huffTable{}
		copy(t.vals[:], b[17:17+total])
		// Canonical codes: per length, the first code and where its symbols start.
		code, k := int32(0), int32(0)
		for l := 1; l <= 16; l++ {
			t.valptr[l] = k
			t.mincode[l] = code
			code += int32(counts[l])
			k += int32(counts[l])
			if counts[l] > 0 {
				t.maxcode[l] = code - 1
			} else {
				t.maxcode[l] = -1
			}
			if code > 1<<l {
				return errJPEGFallback // over-subscribed
			}
			code <<= 1
		}
		t.maxcode[17] = 1 << 30 // sentinel
		// Fast lookup for codes of up to huffLookBits bits.
		code, k = 0, 0
		for l := 1; l <= huffLookBits; l++ {
			for range counts[l] {
				shift := huffLookBits - l
				for x := code << shift; x < (code+1)<<shift; x++ {
					t.lut[x] = uint16(l)<<8 | uint16(t.vals[k])
				}
				code++
				k++
			}
			code <<= 1
		}
		t.ok = true
		b = b[17+total:]
	}
	return nil
}

// scan decodes one scan whose header is b; the entropy-coded data follows at d.pos.
func (d *jpegDecoder) scan(b []byte) error {
	if !d.sof || len(b) < 1 {
		return errJPEGFallback
	}
	if d.scans == 0 {
		if err := d.colorSpace(); err != nil {
			return err
		}
	}
	ns := int(b[0])
	if ns < 1 || ns > len(d.comps) || len(b) < 1+2*ns+3 {
		return errJPEGFallback
	}
	var sc [4]*jpegComponent
	var td, ta [4]uint8
	for i := range ns {
		id := b[1+2*i]
		for j := range d.comps {
			if d.comps[j].id == id {
				sc[i] = &d.comps[j]
			}
		}
		if sc[i] == nil {
			return errJPEGFallback
		}
		td[i], ta[i] = b[2+2*i]>>4, b[2+2*i]&15
		if td[i] > 3 || ta[i] > 3 {
			return errJPEGFallback
		}
	}
	ss, se := int(b[1+2*ns]), int(b[2+2*ns])
	ah, al := int(b[3+2*ns]>>4), int(b[3+2*ns]&15)
	if d.progressive {
		if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13 || ah > 13 {
			return errJPEGFallback
		}
	} else if ss != 0 || se != 63 || ah != 0 || al != 0 {
		return errJPEGFallback
	}
	for i := range ns {
		c := sc[i]
		if !c.qSet {
			if !d.qtSet[c.tq] {
				return errJPEGFallback
			}
			c.q, c.qSet = d.qt[c.tq], true
		}
		c.seen = true
		c.pred = 0
		needDC := ss == 0 && ah == 0 // sequential scans and first DC scans
		needAC := !d.progressive || ss > 0
		if (needDC && !d.dc[td[i]].ok) || (needAC && !d.ac[ta[i]].ok) {
			return errJPEGFallback
		}
	}
	d.scans++
	d.eobrun = 0
	d.resetBits()

	// MCU layout: interleaved scans cover whole MCUs of every component;
	// a single-component scan covers that component's own blocks one by one.
	var mcusX, mcusY int
	if ns == 1 {
		mcusX, mcusY = sc[0].cw, sc[0].ch
	} else {
		mcusX, mcusY = d.mcux, d.mcuy
	}
	restartsLeft := d.restart
	nextRST := 0
	for my := range mcusY {
		for mx := range mcusX {
			if d.restart > 0 {
				if restartsLeft == 0 {
					if err := d.expectRestart(nextRST); err != nil {
						return err
					}
					nextRST = (nextRST + 1) & 7
					restartsLeft = d.restart
					for i := range ns {
						sc[i].pred = 0
					}
					d.eobrun = 0
				}
				restartsLeft--
			}
			for i := range ns {
				c := sc[i]
				bxs, bys := 1, 1
				if ns > 1 {
					bxs, bys = c.h, c.v
				}
				for by := range bys {
					for bx := range bxs {
						var bi int
						if ns > 1 {
							bi = (my*c.v+by)*c.bw + mx*c.h + bx
						} else {
							bi = my*c.bw + mx
						}
						var err error
						if !d.progressive {
							// Sequential: each block is complete once decoded;
							// transform it straight into the plane.
							blk := &d.block
							*blk = [64]int16{}
							hasAC, err := d.blockBaseline(blk, c, &d.dc[td[i]], &d.ac[ta[i]])
							if err != nil {
								return err
							}
							if bx, by := bi%c.bw, bi/c.bw; bx >= c.bx0 && bx < c.bx1 && by >= c.by0 && by < c.by1 {
								stride := 8 * c.bw
								if hasAC {
									idctIslow(blk, &c.q, c.plane[8*by*stride+8*bx:], stride)
								} else {
									idctDC(blk[0], c.q[0], c.plane[8*by*stride+8*bx:], stride)
								}
							}
							continue
						}
						blk := (*[64]int16)(c.coef[64*bi : 64*bi+64])
						switch {
						case ss == 0 && ah == 0:
							err = d.blockDCFirst(blk, c, &d.dc[td[i]], al)
						case ss == 0:
							err = d.blockDCRefine(blk, al)
						case ah == 0:
							err = d.blockACFirst(blk, &d.ac[ta[i]], ss, se, al)
						default:
							err = d.blockACRefine(blk, &d.ac[ta[i]], ss, se, al)
						}
						if err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return d.endScan()
}

// --- bit reader ---

func (d *jpegDecoder) resetBits() {
	d.acc, d.nbits, d.padding, d.stopped = 0, 0, 0, false
}

// fill tops the accumulator up to at least 57 bits, unstuffing 0xFF00 and
// stopping at a marker, after which it supplies zero bits as libjpeg does.
func (d *jpegDecoder) fill() {
	for d.nbits <= 56 {
		var b byte
		if !d.stopped {
			if d.pos >= len(d.data) {
				d.stopped = true
			} else if d.data[d.pos] == 0xff {
				if d.pos+1 < len(d.data) && d.data[d.pos+1] == 0x00 {
					b = 0xff
					d.pos += 2
				} else {
					d.stopped = true
				}
			} else {
				b = d.data[d.pos]
				d.pos++
			}
		}
		if d.stopped {
			d.padding += 8
		}
		d.acc |= uint64(b) << (56 - d.nbits)
		d.nbits += 8
	}
}

// consume drops n bits, failing if any of them was padding.
func (d *jpegDecoder) consume(n int) error {
	d.acc <<= n
	d.nbits -= n
	if d.padding > d.nbits {
		return errJPEGShort
	}
	return nil
}

func (d *jpegDecoder) getBits(n int) (int32, error) {
	if n == 0 {
		return 0, nil
	}
	if d.nbits < n {
		d.fill()
	}
	v := int32(d.acc >> (64 - n))
	return v, d.consume(n)
}

func (d *jpegDecoder) getBit() (bool, error) {
	v, err := d.getBits(1)
	return v != 0, err
}

// receiveExtend reads s bits and sign-extends them (JPEG's EXTEND).
func (d *jpegDecoder) receiveExtend(s int) (int32, error) {
	if s == 0 {
		return 0, nil
	}
	if s > 16 {
		return 0, errJPEGFallback
	}
	v, err := d.getBits(s)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v, err
}

func (d *jpegDecoder) decodeHuff(t *huffTable) (int, error) {
	if d.nbits < 16 {
		d.fill()
	}
	if e := t.lut[d.acc>>(64-huffLookBits)]; e != 0 {
		return int(e & 0xff), d.consume(int(e >> 8))
	}
	for l := huffLookBits + 1; l <= 16; l++ {
		code := int32(d.acc >> (64 - l))
		if code <= t.maxcode[l] {
			k := t.valptr[l] + code - t.mincode[l]
			if k < 0 || k > 255 {
				return 0, errJPEGFallback
			}
			return int(t.vals[k]), d.consume(l)
		}
	}
	return 0, errJPEGFallback // no such code: corrupt data
}

// expectRestart discards the partial byte and reads marker RST<n>.
func (d *jpegDecoder) expectRestart(n int) error {
	d.resetBits()
	if d.pos+1 >= len(d.data) || d.data[d.pos] != 0xff || d.data[d.pos+1] != 0xd0+byte(n) {
		return errJPEGFallback
	}
	d.pos += 2
	return nil
}

// endScan leaves d.pos at the marker that ends the entropy-coded data.
func (d *jpegDecoder) endScan() error {
	d.resetBits()
	for d.pos < len(d.data) {
		if d.data[d.pos] == 0xff && d.pos+1 < len(d.data) && d.data[d.pos+1] != 0x00 && (d.data[d.pos+1] < 0xd0 || d.data[d.pos+1] > 0xd7) {
			return nil
		}
		d.pos++
	}
	return nil
}

// --- blocks ---

// blockBaseline decodes a sequential block; hasAC reports whether any AC
// coefficient is non-zero.
func (d *jpegDecoder) blockBaseline(blk *[64]int16, c *jpegComponent, dc, ac *huffTable) (hasAC bool, err error) {
	t, err := d.decodeHuff(dc)
	if err != nil {
		return false, err
	}
	diff, err := d.receiveExtend(t)
	if err != nil {
		return false, err
	}
	c.pred += diff
	blk[0] = int16(c.pred)
	for k := 1; k < 64; k++ {
		rs, err := d.decodeHuff(ac)
		if err != nil {
			return false, err
		}
		r, s := rs>>4, rs&15
		if s == 0 {
			if r != 15 {
				return hasAC, nil // end of block
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return false, errJPEGFallback
		}
		v, err := d.receiveExtend(s)
		if err != nil {
			return false, err
		}
		blk[unzig[k]] = int16(v)
		hasAC = true
	}
	return hasAC, nil
}

func (d *jpegDecoder) blockDCFirst(blk *[64]int16, c *jpegComponent, dc *huffTable, al int) error {
	t, err := d.decodeHuff(dc)
	if err != nil {
		return err
	}
	diff, err := d.receiveExtend(t)
	if err != nil {
		return err
	}
	c.pred += diff
	blk[0] = int16(c.pred << al)
	return nil
}

func (d *jpegDecoder) blockDCRefine(blk *[64]int16, al int) error {
	bit, err := d.getBit()
	if bit {
		blk[0] |= 1 << al
	}
	return err
}

func (d *jpegDecoder) blockACFirst(blk *[64]int16, ac *huffTable, ss, se, al int) error {
	if d.eobrun > 0 {
		d.eobrun--
		return nil
	}
	for k := ss; k <= se; k++ {
		rs, err := d.decodeHuff(ac)
		if err != nil {
			return err
		}
		r, s := rs>>4, rs&15
		if s == 0 {
			if r < 15 {
				if err := d.readEOBRun(r); err != nil {
					return err
				}
				d.eobrun--
				return nil
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return errJPEGFallback
		}
		v, err := d.receiveExtend(s)
		if err != nil {
			return err
		}
		blk[unzig[k]] = int16(v << al)
	}
	return nil
}

// refineNonZero appends a correction bit to a coefficient already non-zero.
func (d *jpegDecoder) refineNonZero(p *int16, p1 int16) error {
	bit, err := d.getBit()
	if err != nil {
		return err
	}
	if bit && *p&p1 == 0 {
		if *p >= 0 {
			*p += p1
		} else {
			*p -= p1
		}
	}
	return nil
}

func (d *jpegDecoder) blockACRefine(blk *[64]int16, ac *huffTable, ss, se, al int) error {
	p1 := int16(1) << al
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			rs, err := d.decodeHuff(ac)
			if err != nil {
				return err
			}
			r, s := rs>>4, rs&15
			var val int16
			if s != 0 {
				if s != 1 {
					return errJPEGFallback
				}
				bit, err := d.getBit()
				if err != nil {
					return err
				}
				val = -p1
				if bit {
					val = p1
				}
			} else if r != 15 {
				if err := d.readEOBRun(r); err != nil {
					return err
				}
				break
			}
			// Skip r zero coefficients (refining the non-zero ones passed on
			// the way), then place val on the next zero one.
			for ; k <= se; k++ {
				p := &blk[unzig[k]]
				if *p != 0 {
					if err := d.refineNonZero(p, p1); err != nil {
						return err
					}
				} else {
					if r == 0 {
						break
					}
					r--
				}
			}
			if val != 0 && k <= se {
				blk[unzig[k]] = val
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= se; k++ {
			p := &blk[unzig[k]]
			if *p != 0 {
				if err := d.refineNonZero(p, p1); err != nil {
					return err
				}
			}
		}
		d.eobrun--
	}
	return nil
}

// --- samples ---

// reconstruct finishes the planes (the IDCT of progressive JPEGs runs here,
// once all scans are in) and assembles the image.
func (d *jpegDecoder) reconstruct() (image.Image, error) {
	planes := make([][]uint8, len(d.comps))
	for i := range d.comps {
		c := &d.comps[i]
		if d.progressive {
			stride := 8 * c.bw
			for by := c.by0; by < c.by1; by++ {
				for bx := c.bx0; bx < c.bx1; bx++ {
					bi := by*c.bw + bx
					idctIslow((*[64]int16)(c.coef[64*bi:64*bi+64]), &c.q, c.plane[8*by*stride+8*bx:], stride)
				}
			}
			c.coef = nil
		}
		planes[i] = c.plane
	}
	r := image.Rect(0, 0, d.w, d.h)
	if len(d.comps) == 1 {
		return &image.Gray{Pix: planes[0], Stride: 8 * d.comps[0].bw, Rect: r}, nil
	}
	if len(d.comps) == 4 {
		return d.cmyk(planes, 8*d.comps[0].bw), nil
	}
	var ratio image.YCbCrSubsampleRatio
	switch [2]int{d.comps[0].h, d.comps[0].v} {
	case [2]int{1, 1}:
		ratio = image.YCbCrSubsampleRatio444
	case [2]int{2, 1}:
		ratio = image.YCbCrSubsampleRatio422
	case [2]int{2, 2}:
		ratio = image.YCbCrSubsampleRatio420
	case [2]int{1, 2}:
		ratio = image.YCbCrSubsampleRatio440
	case [2]int{4, 1}:
		ratio = image.YCbCrSubsampleRatio411
	case [2]int{4, 2}:
		ratio = image.YCbCrSubsampleRatio410
	default:
		return nil, fmt.Errorf("%w: sampling %dx%d", errJPEGFallback, d.comps[0].h, d.comps[0].v)
	}
	return &image.YCbCr{
		Y: planes[0], Cb: planes[1], Cr: planes[2],
		YStride: 8 * d.comps[0].bw, CStride: 8 * d.comps[1].bw,
		SubsampleRatio: ratio, Rect: r,
	}, nil
}

// cmyk assembles a CMYK image. libjpeg hands out the stored samples;
// image.CMYK follows Go's convention, their inverse (see cmykRegion).
func (d *jpegDecoder) cmyk(planes [][]uint8, stride int) *image.CMYK {
	m := image.NewCMYK(image.Rect(0, 0, d.w, d.h))
	for y := range d.h {
		out := m.Pix[y*m.Stride : y*m.Stride+4*d.w]
		p0, p1, p2, p3 := planes[0][y*stride:], planes[1][y*stride:], planes[2][y*stride:], planes[3][y*stride:]
		for x := range d.w {
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0], o[1], o[2], o[3] = 255-p0[x], 255-p1[x], 255-p2[x], 255-p3[x]
		}
	}
	return m
}

// readEOBRun sets the end-of-band run that an EOBr symbol starts: 2^r plus r
// more bits read from the stream (progressive AC scans).
func (d *jpegDecoder) readEOBRun(r int) error {
	d.eobrun = 1 << r
	if r > 0 {
		extra, err := d.getBits(r)
		if err != nil {
			return err
		}
		d.eobrun += int(extra)
	}
	return nil
}
