package preprocess

import (
	"fmt"
	"sort"
	"strings"
)

// Order is the channel order of a preset's tensor.
type Order int

const (
	// OrderBGR: channel 0 is blue, as OpenCV hands images over.
	OrderBGR Order = iota
	// OrderRGB: channel 0 is red.
	OrderRGB
)

func (o Order) String() string {
	if o == OrderRGB {
		return "RGB"
	}
	return "BGR"
}

// Pipeline is the order of the geometric steps of a preset.
type Pipeline int

const (
	// CropThenResize: CenterCrop(CropSize) (zero padding where the image is
	// smaller), then Resize(ResizeSize).
	CropThenResize Pipeline = iota
	// ResizeThenCrop: Resize(ResizeSize), then CenterCrop(CropSize).
	ResizeThenCrop
)

// Preset is a way of turning a decoded image into the model's CHW float32
// input tensor, following torchvision's transforms on a PIL image.
// Resize(n) means torchvision's Resize with an int: the shorter side becomes
// n, the longer int(n*long/short), with PIL's antialiased bilinear filter.
type Preset struct {
	Name        string
	Description string
	// InputSize is the side S of the square tensor: Fill writes 3*S*S floats.
	InputSize  int
	Order      Order
	Pipeline   Pipeline
	CropSize   int
	ResizeSize int
	// Normalize applies (x - Mean[c]) / Std[c] after scaling to [0, 1];
	// Mean and Std are per tensor channel (in Order).
	Normalize bool
	Mean, Std [3]float32
}

// DefaultPreset is the name of the preset used when none is given.
const DefaultPreset = "blitz"

// Blitz returns the reference recipe's preprocessing: the cv2 image as is
// (BGR), CenterCrop(512), Resize(448), ToTensor() — values in [0, 1], no
// mean/std.
func Blitz() Preset {
	return Preset{
		Name:        "blitz",
		Description: "BGR, center crop 512 (zero padding), resize 448 (PIL bilinear, antialiased), [0,1], no mean/std",
		InputSize:   448,
		Order:       OrderBGR,
		Pipeline:    CropThenResize,
		CropSize:    512,
		ResizeSize:  448,
	}
}

// ImageNet returns torchvision's usual ImageNet evaluation preprocessing:
// RGB, Resize(256), CenterCrop(224), ToTensor(), Normalize(ImageNet mean/std).
func ImageNet() Preset {
	return Preset{
		Name:        "imagenet",
		Description: "RGB, resize 256 (PIL bilinear, antialiased), center crop 224, ImageNet mean/std",
		InputSize:   224,
		Order:       OrderRGB,
		Pipeline:    ResizeThenCrop,
		CropSize:    224,
		ResizeSize:  256,
		Normalize:   true,
		Mean:        [3]float32{0.485, 0.456, 0.406},
		Std:         [3]float32{0.229, 0.224, 0.225},
	}
}

var presets = map[string]func() Preset{
	"blitz":    Blitz,
	"imagenet": ImageNet,
}

// Names lists the preset names, sorted.
func Names() []string {
	out := make([]string, 0, len(presets))
	for n := range presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the preset called name ("" means DefaultPreset).
func Lookup(name string) (Preset, error) {
	if name == "" {
		name = DefaultPreset
	}
	if f, ok := presets[strings.ToLower(name)]; ok {
		return f(), nil
	}
	return Preset{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownPreset, name, strings.Join(Names(), ", "))
}

// Validate checks that the preset's sizes are consistent.
func (p Preset) Validate() error {
	if p.CropSize <= 0 || p.ResizeSize <= 0 || p.InputSize <= 0 {
		return fmt.Errorf("preset %q: sizes must be positive (crop %d, resize %d, input %d)", p.Name, p.CropSize, p.ResizeSize, p.InputSize)
	}
	want := p.ResizeSize
	if p.Pipeline == ResizeThenCrop {
		want = p.CropSize
		if p.CropSize > p.ResizeSize {
			return fmt.Errorf("preset %q: crop %d is larger than the resized shorter side %d", p.Name, p.CropSize, p.ResizeSize)
		}
	}
	if p.InputSize != want {
		return fmt.Errorf("preset %q: input size %d, but the pipeline produces %d", p.Name, p.InputSize, want)
	}
	if p.Normalize {
		for c, s := range p.Std {
			if s == 0 {
				return fmt.Errorf("preset %q: std of channel %d is zero", p.Name, c)
			}
		}
	}
	return nil
}

// TensorLen is the number of float32 values Fill writes: 3*InputSize².
func (p Preset) TensorLen() int { return 3 * p.InputSize * p.InputSize }
