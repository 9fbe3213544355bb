// Package preprocess owns everything between an image file and the model's
// input tensor: decoding (JPEG, PNG, GIF, plus BMP, TIFF and WebP), refusing
// bad files with a typed, one-line reason, and the preprocessing presets that
// turn a decoded image into a CHW float32 tensor.
//
// # Parity with the reference recipe
//
// The reference reads images with OpenCV (cv2.imread, IMREAD_COLOR) and feeds
// them through torchvision transforms on PIL images. This package reproduces
// that pipeline in pure Go:
//
//   - JPEG: Go's image/jpeg decodes the coefficients; chroma upsampling and the
//     YCbCr→RGB conversion are redone here the way libjpeg-turbo does them
//     ("fancy" triangular upsampling, its fixed-point colour tables), so that
//     almost every pixel equals what cv2 sees. The only remaining source of
//     difference is the inverse DCT's rounding (±1 on a small share of pixels).
//   - EXIF orientation (JPEG APP1, PNG eXIf) is applied, as cv2.imread does.
//   - Gray is replicated to three channels, alpha is dropped (not composited),
//     16-bit samples keep their high byte, palettes are expanded, Adobe CMYK
//     JPEGs use OpenCV's CMYK→BGR formula.
//   - Presets: "blitz" is CenterCrop(512) with zero padding, then PIL's
//     antialiased bilinear Resize(448), channels in BGR order, scaled to [0,1];
//     "imagenet" is Resize(256), CenterCrop(224), RGB, ImageNet mean/std. The
//     resampler is a re-implementation of PIL's fixed-point separable
//     convolution and is bit-identical to it on 8-bit images.
//
// # Safety
//
// Decode reads the header first and refuses images whose pixel count exceeds
// Limits.MaxPixels (default 100 megapixels) before any pixel buffer is
// allocated, and it recovers panics raised by decoders. Every refusal is a
// *BadImageError carrying the path, a one-line reason and a sentinel from
// errors.go.
//
// Everything here is safe for concurrent use; per-goroutine scratch memory is
// kept in a Preprocessor (or a sync.Pool behind Preset.Fill).
//
// This package must not import onnxruntime_go, nor the store, index, cluster
// or cli packages: it is pure Go with no cgo, and knows nothing of models.
package preprocess
