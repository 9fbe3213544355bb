// Package preprocess owns everything between an image file and the model's
// input tensor: decoding (JPEG, PNG, GIF and BMP), refusing bad files with a
// typed, one-line reason, and the preprocessing presets that turn a decoded
// image into a CHW float32 tensor.
//
// # Parity with the reference recipe
//
// The reference reads images with OpenCV 4.6 (cv2.imread, IMREAD_COLOR, on
// libjpeg-turbo and libpng) and feeds them through torchvision transforms on
// PIL images. This package reproduces that pipeline in pure Go, bit for bit
// on every image the test suite and the dev set hold:
//
//   - JPEG: a decoder of its own (jpeg.go) for Huffman-coded baseline and
//     progressive files with 8-bit gray, YCbCr or CMYK samples, using
//     libjpeg's accurate integer IDCT (idct.go), then libjpeg-turbo's "fancy"
//     triangular chroma upsampling and fixed-point YCbCr→RGB tables (ycc.go).
//     Other JPEGs (RGB-coded, YCCK, unusual sampling factors) go to Go's
//     image/jpeg, whose IDCT rounds ~2% of samples one level off. Truncated
//     JPEGs are refused (libjpeg would pad them with grey).
//   - EXIF orientation (JPEG APP1, PNG eXIf) is applied, as cv2.imread does.
//   - Gray is replicated to three channels, alpha is dropped (not
//     composited), 16-bit samples keep their high byte, palettes are
//     expanded, CMYK uses OpenCV's CMYK→BGR formula. GIF (first frame) has no
//     reference: OpenCV 4.6 cannot read GIFs.
//   - Presets: "blitz" is CenterCrop(512) with zero padding, then PIL's
//     antialiased bilinear Resize(448), channels in BGR order, scaled to
//     [0,1]; "imagenet" is Resize(256), CenterCrop(224), RGB, ImageNet
//     mean/std. The resampler (resample.go) re-implements Pillow's
//     fixed-point separable convolution and matches it exactly on 8-bit
//     images.
//
// # Safety
//
// Decode reads the header first and refuses images whose pixel count exceeds
// Limits.MaxPixels (default 100 megapixels) before any pixel buffer is
// allocated, and recovers panics raised by decoders. TIFF and WebP are not
// registered because golang.org/x/image's readers can allocate beyond what
// the header check bounds. Every refusal is a *BadImageError carrying the
// path, a one-line reason and a sentinel from errors.go.
//
// Everything here is safe for concurrent use; per-goroutine scratch memory is
// kept in a Preprocessor (or a sync.Pool behind Preset.Fill).
//
// This package must not import onnxruntime_go, nor the store, index, cluster
// or cli packages: it is pure Go with no cgo, and knows nothing of models.
package preprocess
