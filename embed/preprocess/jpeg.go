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
//
// This file reads the markers, frame and tables and assembles the image;
// jpeg_huffman.go holds the Huffman tables and the bit reader, jpeg_scan.go
// the baseline and progressive scans.

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
