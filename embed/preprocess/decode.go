package preprocess

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	// Registered formats. JPEG and PNG are what the reference reads; GIF is
	// read too (first frame; OpenCV 4.6 itself has no GIF reader), and BMP.
	// TIFF and WebP are deliberately not registered: golang.org/x/image's
	// readers size buffers from fields the header check cannot see (TIFF
	// strip sizes, LZW/deflate output, a WebP frame larger than its canvas),
	// so the pixel limit could not bound their memory.
	_ "image/gif"

	_ "golang.org/x/image/bmp"
)

// Default limits.
const (
	// DefaultMaxPixels is the largest width×height decoded by default: 100
	// megapixels, about 300 MB as 8-bit RGB. Larger images are refused from
	// their header, before any pixel memory is allocated.
	DefaultMaxPixels = 100_000_000
	// DefaultMaxFileBytes is the largest file read by default (512 MiB),
	// here and in ingest (embed.IngestOptions.MaxFileSize): every file of
	// up to DefaultMaxPixels in 8 bits per channel fits (an uncompressed
	// 32-bit BMP of 100 megapixels is 400 MB), and an ingest, which holds
	// one file in memory per worker, needs half of what 1 GiB would allow.
	DefaultMaxFileBytes = 512 << 20
)

// Limits bounds what Decode will attempt. The zero value means the defaults.
type Limits struct {
	// MaxPixels refuses images whose header claims more than this many
	// pixels (width×height). 0 means DefaultMaxPixels; negative means no limit.
	// Decoding needs roughly 3–16 bytes per pixel, depending on the format
	// (progressive JPEGs keep all DCT coefficients).
	MaxPixels int64
	// MaxFileBytes refuses files larger than this without reading them.
	// 0 means DefaultMaxFileBytes; negative means no limit.
	MaxFileBytes int64
}

func (l Limits) maxPixels() int64 {
	if l.MaxPixels == 0 {
		return DefaultMaxPixels
	}
	return l.MaxPixels
}

func (l Limits) maxFileBytes() int64 {
	if l.MaxFileBytes == 0 {
		return DefaultMaxFileBytes
	}
	return l.MaxFileBytes
}

// Info describes a decoded image.
type Info struct {
	Format      string // "jpeg", "png", "gif" or "bmp"
	Width       int    // after EXIF orientation, i.e. as cv2.imread returns it
	Height      int
	Orientation int // the EXIF orientation that was applied, 1 when none
}

// Load reads and decodes the image file at path. See Decode.
func Load(path string, lim Limits) (image.Image, Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, Info{}, unreadable(path, err)
	}
	if st.IsDir() {
		return nil, Info{}, badImage(path, "", ErrUnreadable, nil, "unreadable: is a directory")
	}
	if max := lim.maxFileBytes(); max > 0 && st.Size() > max {
		return nil, Info{}, badImage(path, "", ErrTooLarge, nil,
			"too large: file is %s > %s limit", byteSize(st.Size()), byteSize(max))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Info{}, unreadable(path, err)
	}
	return Decode(data, path, lim)
}

// DecodeReader reads all of r and decodes it. name is used in errors.
func DecodeReader(r io.Reader, name string, lim Limits) (image.Image, Info, error) {
	max := lim.maxFileBytes()
	if max > 0 {
		r = io.LimitReader(r, max+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, Info{}, unreadable(name, err)
	}
	if max > 0 && int64(len(data)) > max {
		return nil, Info{}, badImage(name, "", ErrTooLarge, nil, "too large: file is over the %s limit", byteSize(max))
	}
	return Decode(data, name, lim)
}

// Decode decodes an image file's bytes. name (usually the path) is used in
// errors only. It checks the header against lim before decoding, recovers
// decoder panics, and applies the EXIF orientation of JPEGs and PNGs. The
// returned image is whatever the decoder produced (or a *BGR when it had to
// be reoriented); pass it to a Preset's Fill or to ToBGR. Every error is a
// *BadImageError.
func Decode(data []byte, name string, lim Limits) (image.Image, Info, error) {
	return decode(data, name, lim, nil, nil)
}

// decode is Decode; when only is not nil, it may leave the pixels of a JPEG
// outside only(width, height) (in display orientation) unreconstructed, and
// with scratch set, a JPEG's planes may live in *scratch (see decodeJPEG).
func decode(data []byte, name string, lim Limits, only func(w, h int) image.Rectangle, scratch *[]uint8) (img image.Image, info Info, err error) {
	if len(data) == 0 {
		return nil, Info{}, badImage(name, "", ErrEmpty, nil, "empty file")
	}
	if max := lim.maxFileBytes(); max > 0 && int64(len(data)) > max {
		return nil, Info{}, badImage(name, "", ErrTooLarge, nil,
			"too large: file is %s > %s limit", byteSize(int64(len(data))), byteSize(max))
	}

	cfg, format, err := safeDecodeConfig(data)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, Info{}, sniffUnknown(name, data)
		}
		if f := jpegFeature(data); f != "" {
			return nil, Info{}, badImage(name, "jpeg", ErrUnsupported, err, "unsupported JPEG: %s", f)
		}
		return nil, Info{}, decodeError(name, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, Info{}, badImage(name, format, ErrCorrupt, nil,
			"corrupt %s: header says %d×%d pixels", formatName(format), cfg.Width, cfg.Height)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if max := lim.maxPixels(); max > 0 && px > max {
		e := badImage(name, format, ErrTooLarge, nil, "too large: %d×%d = %s MP > %s MP limit",
			cfg.Width, cfg.Height, megapixels(px), megapixels(max))
		e.PixelLimit = max
		return nil, Info{}, e
	}

	o := orientationOf(format, data)
	var ownErr error
	if format == "jpeg" {
		// Exact to libjpeg where it applies; any failure falls back to Go's.
		var region image.Rectangle
		if only != nil && o == 1 {
			region = only(cfg.Width, cfg.Height)
		}
		img, ownErr = safeDecodeJPEG(data, cfg.Width, cfg.Height, region, scratch)
	}
	if img == nil || ownErr != nil {
		var f string
		img, f, err = safeDecode(data)
		if f != "" {
			format = f
		}
	}
	if err != nil {
		if f := jpegFeature(data); format == "jpeg" && f != "" {
			return nil, Info{}, badImage(name, format, ErrUnsupported, err, "unsupported JPEG: %s", f)
		}
		return nil, Info{}, decodeError(name, format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// Never seen with the standard decoders; guards the pixel limit.
		return nil, Info{}, badImage(name, format, ErrCorrupt, nil,
			"corrupt %s: header says %d×%d, data %d×%d", formatName(format), cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	img = orient(img, o)
	b := img.Bounds()
	return img, Info{Format: format, Width: b.Dx(), Height: b.Dy(), Orientation: o}, nil
}

// errPanic carries a recovered decoder panic.
type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprint(e.v) }

func safeDecodeConfig(data []byte) (cfg image.Config, format string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errPanic{v}
		}
	}()
	return image.DecodeConfig(bytes.NewReader(data))
}

func safeDecode(data []byte) (img image.Image, format string, err error) {
	defer func() {
		if v := recover(); v != nil {
			img, err = nil, errPanic{v}
		}
	}()
	return image.Decode(bytes.NewReader(data))
}

func safeDecodeJPEG(data []byte, w, h int, region image.Rectangle, scratch *[]uint8) (img image.Image, err error) {
	defer func() {
		if v := recover(); v != nil {
			img, err = nil, errPanic{v}
		}
	}()
	return decodeJPEG(data, w, h, region, scratch)
}

// decodeError maps a decoder's error to a *BadImageError with a short reason.
func decodeError(name, format string, err error) *BadImageError {
	f := formatName(format)
	var p errPanic
	if errors.As(err, &p) {
		return badImage(name, format, ErrDecoderPanic, err, "%s decoder crashed: %s", f, oneLine(p.Error()))
	}
	msg := err.Error()
	var jf jpeg.FormatError
	var ju jpeg.UnsupportedError
	var pf png.FormatError
	var pu png.UnsupportedError
	var fc flate.CorruptInputError
	isJF, isPF := errors.As(err, &jf), errors.As(err, &pf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		isJF && string(jf) == "short Huffman data",
		isPF && string(pf) == "not enough pixel data",
		format == "gif" && strings.HasSuffix(msg, "not enough image data"):
		return badImage(name, format, ErrTruncated, err, "truncated %s", f)
	case errors.As(err, &ju):
		return badImage(name, format, ErrUnsupported, err, "unsupported %s: %s", f, oneLine(string(ju)))
	case errors.As(err, &pu):
		return badImage(name, format, ErrUnsupported, err, "unsupported %s: %s", f, oneLine(string(pu)))
	case isJF:
		return badImage(name, format, ErrCorrupt, err, "corrupt %s: %s", f, oneLine(string(jf)))
	case isPF:
		return badImage(name, format, ErrCorrupt, err, "corrupt %s: %s", f, oneLine(string(pf)))
	case errors.As(err, &fc), errors.Is(err, zlib.ErrChecksum), errors.Is(err, zlib.ErrHeader), errors.Is(err, zlib.ErrDictionary):
		return badImage(name, format, ErrCorrupt, err, "corrupt %s: bad compressed data", f)
	}
	// Other decoders prefix their messages with the format name ("gif: ...").
	msg = strings.TrimPrefix(msg, format+": ")
	if strings.Contains(msg, "unsupported") || strings.Contains(msg, "not supported") {
		return badImage(name, format, ErrUnsupported, err, "unsupported %s: %s", f, oneLine(msg))
	}
	return badImage(name, format, ErrCorrupt, err, "corrupt %s: %s", f, oneLine(msg))
}

func unreadable(name string, err error) *BadImageError {
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error()
	}
	if errors.Is(err, fs.ErrNotExist) {
		return badImage(name, "", ErrUnreadable, err, "unreadable: no such file")
	}
	return badImage(name, "", ErrUnreadable, err, "unreadable: %s", oneLine(reason))
}

func formatName(format string) string {
	switch format {
	case "jpeg":
		return "JPEG"
	case "png":
		return "PNG"
	case "gif":
		return "GIF"
	case "bmp":
		return "BMP"
	case "":
		return "image"
	}
	return format
}

// megapixels formats a pixel count in MP: "1200", "2.5", "0.04".
func megapixels(px int64) string {
	mp := float64(px) / 1e6
	switch {
	case mp >= 10:
		return fmt.Sprintf("%.0f", mp)
	case mp >= 0.1:
		return fmt.Sprintf("%.1f", mp)
	}
	return fmt.Sprintf("%.2g", mp)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// oneLine keeps an error text to one short line.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	// A decoder quotes the bytes it did not expect ("gif: can't recognize
	// format \"…\""): the reason keeps the words, not the file's bytes.
	if i := strings.IndexByte(s, '"'); i >= 0 {
		s = strings.TrimRight(s[:i], " :")
	}
	s = strings.ToValidUTF8(s, "?")
	const max = 120
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
