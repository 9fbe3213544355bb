package preprocess

import (
	"bytes"
	"encoding/binary"
	"image"
)

// EXIF orientation. cv2.imread (without IMREAD_IGNORE_ORIENTATION) rotates
// and flips JPEGs and PNGs by the EXIF Orientation tag (0x0112) of IFD0. The
// parser below reads only that one tag and treats anything malformed as
// "no orientation", never as an error: a broken EXIF block does not make the
// picture unreadable.

const tagOrientation = 0x0112

// orientationOf returns the EXIF orientation (1..8) stored in a JPEG's
// first Exif APP1 segment or a PNG's first eXIf chunk; 1 if none.
func orientationOf(format string, data []byte) int {
	switch format {
	case "jpeg":
		return tiffOrientation(jpegExif(data))
	case "png":
		return tiffOrientation(pngExif(data))
	}
	return 1
}

// jpegExif returns the TIFF block of the first "Exif\0\0" APP1 segment
// before the first scan, or nil.
func jpegExif(data []byte) []byte {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil
	}
	p := 2
	for p+4 <= len(data) {
		if data[p] != 0xff {
			return nil
		}
		marker := data[p+1]
		if marker == 0xff { // fill byte
			p++
			continue
		}
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 {
			p += 2
			continue
		}
		if marker == 0xda || marker == 0xd9 { // start of scan, end of image
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			return nil
		}
		seg := data[p+4 : p+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		p += 2 + n
	}
	return nil
}

// pngExif returns the payload of the first eXIf chunk, or nil. cv2 applies
// an eXIf chunk wherever it sits, after the image data too.
func pngExif(data []byte) []byte {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil
	}
	p := len(sig)
	for p+8 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n < 0 || n > len(data)-p-12 {
			return nil
		}
		if typ == "IEND" {
			return nil
		}
		if typ == "eXIf" {
			b := data[p+8 : p+8+n]
			// Some writers keep the JPEG-style prefix; accept both.
			return bytes.TrimPrefix(b, []byte("Exif\x00\x00"))
		}
		p += 12 + n
	}
	return nil
}

// tiffOrientation reads tag 0x0112 of IFD0 in a TIFF-structured EXIF block.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := int64(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > int64(len(t)) {
		return 1
	}
	n := int64(bo.Uint16(t[ifd:]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) != tagOrientation {
			continue
		}
		typ, count := bo.Uint16(t[e+2:]), bo.Uint32(t[e+4:])
		var v int
		switch {
		case typ == 3 && count >= 1: // SHORT
			v = int(bo.Uint16(t[e+8:]))
		case typ == 4 && count >= 1: // LONG
			v = int(bo.Uint32(t[e+8:]))
		default:
			return 1
		}
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}

// orient returns img transformed for display according to EXIF orientation
// o (2..8), as a *BGR anchored at the origin. For o == 1 it returns img.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	src := ToBGR(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	dst := NewBGR(image.Rect(0, 0, ow, oh))
	for y := range oh {
		d := dst.Pix[y*dst.Stride:]
		for x := range ow {
			var sx, sy int
			switch o {
			case 2: // mirrored horizontally
				sx, sy = w-1-x, y
			case 3: // rotated 180°
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored vertically
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // stored rotated 90° counter-clockwise: turn clockwise
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // stored rotated 90° clockwise: turn counter-clockwise
				sx, sy = w-1-y, x
			}
			s := src.Pix[sy*src.Stride+3*sx:]
			d[3*x], d[3*x+1], d[3*x+2] = s[0], s[1], s[2]
		}
	}
	return dst
}
