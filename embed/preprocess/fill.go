package preprocess

import (
	"fmt"
	"image"
	"math"
	"sync"
)

// Preprocessor fills tensors for one preset, reusing its scratch buffers
// from one image to the next. A Preprocessor is not safe for concurrent
// use: give each worker goroutine its own (or call Preset.Fill, which pools
// them).
type Preprocessor struct {
	p      Preset
	lut    [3][256]float32 // tensor value of each 8-bit sample, per tensor channel
	cv     converter
	rs     resampler
	src    []uint8 // packed BGR input to the resampler
	planes []uint8 // DecodeFill's JPEG sample planes
	out    []uint8 // packed BGR, InputSize² pixels
}

// New returns a Preprocessor for p.
func New(p Preset) (*Preprocessor, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	pp := &Preprocessor{p: p}
	for c := range 3 {
		for v := range 256 {
			x := float32(v) / 255 // torchvision ToTensor: float32 division by 255
			if p.Normalize {
				x = (x - p.Mean[c]) / p.Std[c] // Normalize: sub_(mean).div_(std), in float32
			}
			pp.lut[c][v] = x
		}
	}
	return pp, nil
}

// Preset returns the preset this Preprocessor applies.
func (pp *Preprocessor) Preset() Preset { return pp.p }

// Fill writes img, preprocessed, into dst as a CHW float32 tensor of
// p.TensorLen() values. It does not allocate once its buffers have grown to
// the sizes the images need.
func (pp *Preprocessor) Fill(dst []float32, img image.Image) error {
	p := &pp.p
	if len(dst) != p.TensorLen() {
		return fmt.Errorf("preset %s: %w: got %d floats, want 3×%d×%d = %d", p.Name, ErrTensorSize, len(dst), p.InputSize, p.InputSize, p.TensorLen())
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("preset %s: %w (%d×%d)", p.Name, ErrEmptyImage, w, h)
	}
	S := p.InputSize
	pp.out = growUint8(pp.out, 3*S*S)
	switch p.Pipeline {
	case CropThenResize:
		// CenterCrop(C): the C×C window, zero outside the image.
		C := p.CropSize
		ox, oy := cropOrigin(w, C), cropOrigin(h, C)
		pp.src = growUint8(pp.src, 3*C*C)
		win := image.Rect(ox, oy, ox+C, oy+C)
		in := win.Intersect(image.Rect(0, 0, w, h))
		if in != win {
			clear(pp.src)
		}
		if !in.Empty() {
			off := (in.Min.Y-oy)*3*C + (in.Min.X-ox)*3
			pp.cv.region(pp.src[off:], 3*C, img, in.Add(b.Min))
		}
		// Resize(R) of the C×C square: R×R.
		R := p.ResizeSize
		pp.rs.resize(pp.out, pp.src, C, C, R, R, 0, 0, R, R)
	case ResizeThenCrop:
		pp.src = growUint8(pp.src, 3*w*h)
		pp.cv.region(pp.src, 3*w, img, b)
		// Resize(R), then CenterCrop(C): the resized image's shorter side
		// is R >= C (Validate), so the crop never pads; only the C×C
		// window of the resized image is computed.
		rw, rh := resizedSize(w, h, p.ResizeSize)
		C := p.CropSize
		ox, oy := cropOrigin(rw, C), cropOrigin(rh, C)
		pp.rs.resize(pp.out, pp.src, w, h, rw, rh, ox, oy, C, C)
	default:
		return fmt.Errorf("preset %s: unknown pipeline %d", p.Name, p.Pipeline)
	}
	pp.writeTensor(dst)
	pp.trim()
	return nil
}

// maxKeptScratch is the most scratch memory (per buffer) a Preprocessor
// keeps between images: a huge image's buffers are dropped after use rather
// than held by a pooled Preprocessor for good.
const maxKeptScratch = 32 << 20

func (pp *Preprocessor) trim() {
	if cap(pp.src) > maxKeptScratch {
		pp.src = nil
	}
	if cap(pp.rs.tmp) > maxKeptScratch {
		pp.rs.tmp = nil
	}
	if cap(pp.planes) > maxKeptScratch {
		pp.planes = nil
	}
}

// DecodeFill decodes an image file's bytes (as Decode does, with the same
// errors) and fills dst with it, preprocessed (as Fill does). The result is
// identical to Decode followed by Fill, but a JPEG's pixels that the preset
// never reads (outside blitz's centre crop) are not reconstructed, which
// saves much of the decoding time of large photos, and its sample planes
// reuse the Preprocessor's memory instead of being allocated per image.
func (pp *Preprocessor) DecodeFill(dst []float32, data []byte, name string, lim Limits) (Info, error) {
	if len(dst) != pp.p.TensorLen() {
		return Info{}, fmt.Errorf("preset %s: %w: got %d floats, want %d", pp.p.Name, ErrTensorSize, len(dst), pp.p.TensorLen())
	}
	img, info, err := decode(data, name, lim, pp.p.sourceRegion, &pp.planes)
	if err != nil {
		return Info{}, err
	}
	return info, pp.Fill(dst, img)
}

// sourceRegion returns the pixels of a w×h image that Fill reads: the crop
// window for CropThenResize, everything otherwise.
func (p Preset) sourceRegion(w, h int) image.Rectangle {
	all := image.Rect(0, 0, w, h)
	if p.Pipeline != CropThenResize {
		return all
	}
	ox, oy := cropOrigin(w, p.CropSize), cropOrigin(h, p.CropSize)
	return image.Rect(ox, oy, ox+p.CropSize, oy+p.CropSize).Intersect(all)
}

// writeTensor converts pp.out (packed B, G, R) to CHW floats.
func (pp *Preprocessor) writeTensor(dst []float32) {
	S := pp.p.InputSize
	plane := S * S
	px := pp.out[:3*plane]
	for c := range 3 {
		byteIdx := c // BGR: tensor channel c is byte c of the pixel
		if pp.p.Order == OrderRGB {
			byteIdx = 2 - c
		}
		lut := &pp.lut[c]
		d := dst[c*plane : (c+1)*plane]
		for i := range d {
			d[i] = lut[px[3*i+byteIdx]]
		}
	}
}

// cropOrigin returns where, in an image of n pixels along one axis, output
// index 0 of torchvision's CenterCrop(c) lands: negative when the image is
// padded. torchvision pads (c-n)//2 before and (c-n+1)//2 after when n < c,
// then crops at int(round((n'-c)/2)) with Python's round-half-to-even.
func cropOrigin(n, c int) int {
	if n < c {
		return -((c - n) / 2)
	}
	return int(math.RoundToEven(float64(n-c) / 2.0))
}

// resizedSize is torchvision's Resize(size) output for a w×h image: the
// shorter side becomes size, the longer int(size*long/short).
func resizedSize(w, h, size int) (int, int) {
	if w <= h {
		return size, int(float64(size*h) / float64(w))
	}
	return int(float64(size*w) / float64(h)), size
}

var pools sync.Map // Preset → *sync.Pool of *Preprocessor

// pooled runs f with a Preprocessor for p taken from a pool.
func (p Preset) pooled(f func(*Preprocessor) error) error {
	v, ok := pools.Load(p)
	if !ok {
		if err := p.Validate(); err != nil {
			return err
		}
		v, _ = pools.LoadOrStore(p, &sync.Pool{})
	}
	pool := v.(*sync.Pool)
	pp, _ := pool.Get().(*Preprocessor)
	if pp == nil {
		var err error
		if pp, err = New(p); err != nil {
			return err
		}
	}
	err := f(pp)
	pool.Put(pp)
	return err
}

// Fill writes img, preprocessed by p, into dst (p.TensorLen() floats, CHW).
// It is safe for concurrent use; scratch buffers come from a pool.
func (p Preset) Fill(dst []float32, img image.Image) error {
	return p.pooled(func(pp *Preprocessor) error { return pp.Fill(dst, img) })
}

// DecodeFill is Preprocessor.DecodeFill with a pooled Preprocessor; it is
// safe for concurrent use.
func (p Preset) DecodeFill(dst []float32, data []byte, name string, lim Limits) (info Info, err error) {
	err = p.pooled(func(pp *Preprocessor) error {
		info, err = pp.DecodeFill(dst, data, name, lim)
		return err
	})
	return info, err
}
