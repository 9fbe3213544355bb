package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"runtime"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/vecimg/vecimg/embed/vgg"
	"github.com/vecimg/vecimg/internal/progress"
)

// Range rules: how an activation range is chosen from the values the
// calibration images produced.
const (
	// RuleMax takes the largest value: nothing is clipped, and one outlier
	// coarsens every other value's step.
	RuleMax = "max"
	// RulePercentile takes the 99.999th percentile of the values (zeros
	// included).
	RulePercentile = "p99.999"
	// RuleMSE takes the clip that minimises the expected squared error of
	// the quantised values (rounding error below the clip, clipping error
	// above it) over the histogram of the non-zero values.
	RuleMSE = "mse"
)

// DefaultRule is the range rule int8 models get: chosen by bench/int8.sh's
// comparison of the rules (docs/gpu-and-cpu.md).
const DefaultRule = RulePercentile

// DefaultCalibrationImages is how many images an int8 model is calibrated
// on when the caller does not say.
const DefaultCalibrationImages = 32

// Calibration is the result of measuring activation ranges: what an int8
// model is built from besides the weights.
type Calibration struct {
	Quant  vgg.Quant
	Rule   string
	Images int    // images measured
	Digest string // hex SHA-256 over the images' content SHA-256s, in order
	// ByRule holds the ranges every rule gives on the same images (for
	// comparing the rules; Quant.Ranges is ByRule[Rule]).
	ByRule map[string][]float32
}

// CalibrateOptions say what to calibrate on.
type CalibrateOptions struct {
	Weights string   // torchvision VGG16 weights (.pth)
	Prep    Preparer // the preset the model will be fed with
	Files   []string // calibration images, in order; unreadable ones are skipped
	// Rule is RuleMax, RulePercentile or RuleMSE; "" = DefaultRule.
	Rule string
	// WeightBits is 8 or 7; 0 = DefaultWeightBits() of this CPU.
	WeightBits int
	Threads    int // CPU threads; 0 = all
	// Progress, when set, follows the run as one stage, StageCalibrate
	// (images calibrated on, of len(Files); unreadable ones are not counted,
	// so it can end below the total): first before the weights are loaded,
	// then after each image.
	Progress progress.Func
	// OnBad, if set, is told about each image that could not be read.
	OnBad func(BadFile)
}

// StageCalibrate is the stage Calibrate reports to CalibrateOptions.Progress.
const StageCalibrate = "calibrate"

// Calibrate runs the FP32 fc6 graph with its intermediate outputs on the
// CPU over o.Files and returns the activation ranges of o.Rule. At least
// one image must be readable.
func Calibrate(ctx context.Context, rt Runtime, o CalibrateOptions) (*Calibration, error) {
	_ = rt // the runtime is initialised by LoadRuntime; taking it says so
	if o.Rule == "" {
		o.Rule = DefaultRule
	}
	if err := checkRule(o.Rule); err != nil {
		return nil, err
	}
	if o.WeightBits == 0 {
		o.WeightBits = DefaultWeightBits()
	}
	if len(o.Files) == 0 {
		return nil, fmt.Errorf("%w: no calibration images", ErrModel)
	}
	o.Progress.Report(StageCalibrate, 0, int64(len(o.Files)))
	w, err := vgg.LoadPTH(o.Weights)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWeights, err)
	}
	size := o.Prep.Size()
	c, err := newCalibrator(w, size, o.Threads)
	w = nil
	if err != nil {
		return nil, err
	}
	defer c.close()
	h := sha256.New()
	in := make([]float32, 3*size*size)
	n := 0
	for _, path := range o.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if o.OnBad != nil {
				o.OnBad(BadFile{Path: path, Reason: errText(err)})
			}
			continue
		}
		if _, _, err := o.Prep.DecodeFill(in, path, data); err != nil {
			if o.OnBad != nil {
				o.OnBad(badDecode(path, err))
			}
			continue
		}
		if err := c.add(in); err != nil {
			return nil, fmt.Errorf("calibrating on %s: %w", path, err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%x\n", sum)
		n++
		o.Progress.Report(StageCalibrate, int64(n), int64(len(o.Files)))
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: none of the %d calibration images could be read", ErrModel, len(o.Files))
	}
	by := map[string][]float32{}
	for _, r := range []string{RuleMax, RulePercentile, RuleMSE} {
		if by[r], err = c.ranges(r); err != nil {
			return nil, err
		}
	}
	return &Calibration{Quant: vgg.Quant{Ranges: by[o.Rule], WeightBits: o.WeightBits}, Rule: o.Rule, Images: n,
		Digest: hex.EncodeToString(h.Sum(nil)), ByRule: by}, nil
}

func checkRule(r string) error {
	switch r {
	case RuleMax, RulePercentile, RuleMSE:
		return nil
	}
	return fmt.Errorf("%w: range rule %q: use %s, %s or %s", ErrModel, r, RuleMax, RulePercentile, RuleMSE)
}

// calibrator runs the calibration graph and keeps one histogram per
// quantisation point.
type calibrator struct {
	sess  *ort.DynamicAdvancedSession
	size  int
	names []string
	hists []*histogram
}

func newCalibrator(w *vgg.Weights, size, threads int) (*calibrator, error) {
	onnx, err := vgg.BuildCalibration(w, vgg.BuildOptions{Size: size})
	if err != nil {
		return nil, fmt.Errorf("%w: building the calibration graph: %v", ErrModel, err)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: session options: %v", ErrModel, err)
	}
	defer so.Destroy()
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	names := vgg.QuantPointNames(size)
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(onnx, []string{vgg.InputName}, names, so)
	if err != nil {
		return nil, fmt.Errorf("%w: loading the calibration graph: %v", ErrModel, err)
	}
	c := &calibrator{sess: sess, size: size, names: names, hists: make([]*histogram, len(names))}
	for i := range c.hists {
		c.hists[i] = &histogram{}
	}
	return c, nil
}

// add runs one preprocessed image (3×size×size) and adds its activations.
func (c *calibrator) add(in []float32) error {
	S := int64(c.size)
	it, err := ort.NewTensor(ort.NewShape(1, 3, S, S), in)
	if err != nil {
		return err
	}
	defer it.Destroy()
	outs := make([]ort.Value, len(c.names))
	if err := c.sess.Run([]ort.Value{it}, outs); err != nil {
		return err
	}
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.Destroy()
			}
		}
	}()
	for i, o := range outs {
		t, ok := o.(*ort.Tensor[float32])
		if !ok {
			return fmt.Errorf("calibration output %s is not float32", c.names[i])
		}
		c.hists[i].add(t.GetData())
	}
	return nil
}

func (c *calibrator) ranges(rule string) ([]float32, error) {
	r := make([]float32, len(c.hists))
	for i, h := range c.hists {
		r[i] = h.rangeFor(rule)
		if !(r[i] > 0) {
			// A layer that never fired on these images: any positive
			// range codes its zeros exactly.
			r[i] = 1
		}
	}
	return r, nil
}

func (c *calibrator) close() {
	if c.sess != nil {
		c.sess.Destroy()
		c.sess = nil
	}
}

// histBins is the resolution of a calibration histogram.
const histBins = 4096

// histogram counts non-negative values in histBins equal bins over
// [0, width·histBins); when a larger value comes, the width doubles and
// neighbouring bins merge, so one pass over the images suffices. Zeros (the
// ReLU's) are counted apart: they quantise exactly.
type histogram struct {
	width float64
	bins  [histBins]float64
	zeros float64
	max   float32
}

func (h *histogram) add(v []float32) {
	var m float32
	for _, x := range v {
		m = max(m, x)
	}
	if m > 0 {
		if h.width == 0 {
			h.width = float64(m) / histBins * 1.0001
		}
		for float64(m) >= h.width*histBins {
			for i := 0; i < histBins/2; i++ {
				h.bins[i] = h.bins[2*i] + h.bins[2*i+1]
			}
			clear(h.bins[histBins/2:])
			h.width *= 2
		}
		h.max = max(h.max, m)
	}
	inv := 1 / h.width
	for _, x := range v {
		if x <= 0 { // ReLU output: exactly 0
			h.zeros++
			continue
		}
		h.bins[min(int(float64(x)*inv), histBins-1)]++
	}
}

// rangeFor returns the range the rule picks.
func (h *histogram) rangeFor(rule string) float32 {
	if h.max <= 0 {
		return 0
	}
	switch rule {
	case RuleMax:
		return h.max
	case RulePercentile:
		var total float64 = h.zeros
		for _, n := range h.bins {
			total += n
		}
		keep := total * (1 - 1e-5) // the 99.999th percentile
		acc := h.zeros
		for i, n := range h.bins {
			if acc+n >= keep {
				// Interpolate inside the bin.
				f := (keep - acc) / n
				return float32(min(float64(h.max), (float64(i)+f)*h.width))
			}
			acc += n
		}
		return h.max
	default: // RuleMSE
		best, bestErr := float64(h.max), math.Inf(1)
		top := int(float64(h.max)/h.width) + 1
		for k := max(1, top/64); k <= top; k++ {
			c := float64(k) * h.width
			step := c / 255
			var e float64
			for i := 0; i < top && i < histBins; i++ {
				n := h.bins[i]
				if n == 0 {
					continue
				}
				x := (float64(i) + 0.5) * h.width
				if x < c {
					e += n * step * step / 12
				} else {
					e += n * (x - c) * (x - c)
				}
			}
			if e < bestErr {
				best, bestErr = c, e
			}
		}
		return float32(min(best, float64(h.max)))
	}
}
