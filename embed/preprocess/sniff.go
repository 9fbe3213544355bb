package preprocess

import (
	"bytes"
	"unicode/utf8"
)

// signature is a magic number of a format that Decode cannot read.
type signature struct {
	offset int
	magic  string
	what   string
	image  bool // an image format we do not decode (vs. not an image at all)
}

var signatures = []signature{
	{4, "ftypheic", "HEIC", true}, {4, "ftypheix", "HEIC", true}, {4, "ftypmif1", "HEIF", true},
	{4, "ftypmsf1", "HEIF", true}, {4, "ftypavif", "AVIF", true}, {4, "ftypavis", "AVIF", true},
	{0, "\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL", true}, {0, "\xff\x0a", "JPEG XL", true},
	{0, "\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000", true}, {0, "\xff\x4f\xff\x51", "JPEG 2000", true},
	{0, "II*\x00\x10\x00\x00\x00CR", "Canon RAW", true},
	{0, "II*\x00", "TIFF", true}, {0, "MM\x00*", "TIFF", true}, {8, "WEBP", "WebP", true},
	{0, "8BPS", "PSD", true}, {0, "\x00\x00\x01\x00", "ICO", true}, {0, "qoif", "QOI", true},
	{0, "\x76\x2f\x31\x01", "OpenEXR", true}, {0, "#?RADIANCE", "Radiance HDR", true},
	{0, "%PDF", "a PDF document", false}, {0, "PK\x03\x04", "a ZIP archive", false},
	{0, "\x1f\x8b", "gzip data", false}, {0, "\x7fELF", "an executable", false},
	{4, "ftypisom", "an MP4 video", false}, {4, "ftypmp42", "an MP4 video", false},
	{4, "ftypqt  ", "a QuickTime video", false},
}

// sniffUnknown explains bytes that no registered decoder recognised.
func sniffUnknown(name string, data []byte) *BadImageError {
	for _, s := range signatures {
		if len(data) >= s.offset+len(s.magic) && string(data[s.offset:s.offset+len(s.magic)]) == s.magic {
			if s.image {
				return badImage(name, "", ErrUnsupported, nil, "unsupported format (%s)", s.what)
			}
			return badImage(name, "", ErrNotImage, nil, "not an image (%s)", s.what)
		}
	}
	head := data[:min(len(data), 1024)]
	trimmed := bytes.ToLower(bytes.TrimLeft(head, " \t\r\n\ufeff"))
	switch {
	case bytes.HasPrefix(trimmed, []byte("<svg")) || (bytes.HasPrefix(trimmed, []byte("<?xml")) && bytes.Contains(trimmed, []byte("<svg"))):
		return badImage(name, "", ErrUnsupported, nil, "unsupported format (SVG)")
	case bytes.HasPrefix(trimmed, []byte("<!doctype html")) || bytes.HasPrefix(trimmed, []byte("<html")):
		return badImage(name, "", ErrNotImage, nil, "not an image (looks like HTML)")
	case looksLikeText(head):
		return badImage(name, "", ErrNotImage, nil, "not an image (looks like text)")
	}
	n := min(len(data), 4)
	return badImage(name, "", ErrNotImage, nil, "not an image (unrecognised content, starts with % x)", data[:n])
}

// looksLikeText reports whether b is UTF-8 without control characters other
// than tab, CR, LF and FF (a cut-off last rune is allowed).
func looksLikeText(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f {
			return false
		}
		b = b[size:]
	}
	return true
}
