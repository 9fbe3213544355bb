package app

import (
	"context"
	"fmt"
	"os"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/embed/vgg"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// checkInt8Options refuses, before any work, int8 requests that cannot
// hold: mixing int8 with another precision in one store, and calibration
// options without a new int8 model to calibrate.
func checkInt8Options(man *store.Manifest, spec store.ModelSpec, precision string, o ModelOptions) error {
	int8 := precision == vgg.PrecisionInt8
	if man != nil && spec.Kind == store.ModelVGG16 && spec.Precision != "" && spec.Precision != precision &&
		(int8 || spec.Precision == vgg.PrecisionInt8) {
		return &AdvisedError{Kind: store.ErrManifestMismatch, Advice: AdviseOtherStore,
			Msg: fmt.Sprintf("the store's vectors were made at precision %s; %s vectors would not compare with them", spec.Precision, precision)}
	}
	calibrating := o.Calibrate != 0 || o.CalibrateFrom != ""
	if o.Calibrate < 0 {
		return paramErr("calibrate", o.Calibrate, "is not a positive number of images")
	}
	if calibrating && !int8 {
		return &AdvisedError{Kind: ErrInvalid, Advice: AdviseInt8, Msg: "calibration options are for an int8 model"}
	}
	if calibrating && spec.Quant != nil {
		return &AdvisedError{Kind: ErrInvalid, Advice: AdviseNoCalibration,
			Msg: fmt.Sprintf("the store's int8 model was calibrated when the store was made (%d images, sha256 %s…) and is kept for every later image",
				spec.Quant.Images, short(spec.Quant.Digest))}
	}
	if o.CalibrateFrom != "" {
		if fi, err := os.Stat(o.CalibrateFrom); err != nil || !fi.IsDir() {
			return paramErr("calibrate-from", o.CalibrateFrom, "is not a folder: give a folder of images like the ones you will embed")
		}
	}
	if int8 && spec.Quant == nil && o.CalibrateFrom == "" && o.env.calibDir == "" {
		return &AdvisedError{Kind: ErrInvalid, Advice: AdviseCalibrationFolder, Msg: "an int8 model is calibrated on images like the ones it will embed"}
	}
	return nil
}

// int8Quant returns the quantisation of an int8 model: the store's recorded
// one, or a new calibration on the user's images. Other precisions get nil.
func int8Quant(ctx context.Context, spec store.ModelSpec, precision, weights string, prep embed.Preparer, o ModelOptions, p Progress) (*vgg.Quant, *store.QuantSpec, error) {
	if precision != vgg.PrecisionInt8 {
		return nil, nil, nil
	}
	if q := spec.Quant; q != nil {
		return &vgg.Quant{Ranges: q.Ranges, WeightBits: q.WeightBits}, q, nil
	}
	cal, err := calibrate(ctx, weights, prep, o, p)
	if err != nil {
		return nil, nil, err
	}
	return &cal.Quant, &store.QuantSpec{Ranges: cal.Quant.Ranges, WeightBits: cal.Quant.Bits(), Rule: cal.Rule,
		Images: cal.Images, Digest: cal.Digest}, nil
}

// calibrate measures activation ranges on the first o.Calibrate images of
// o.CalibrateFrom (or of the ingested folder).
func calibrate(ctx context.Context, weights string, prep embed.Preparer, o ModelOptions, p Progress) (*embed.Calibration, error) {
	dir := firstNonEmpty(o.CalibrateFrom, o.env.calibDir)
	n := o.Calibrate
	if n == 0 {
		n = embed.DefaultCalibrationImages
	}
	files, _, err := embed.Walk(dir, false)
	if err != nil {
		return nil, invalidf("calibration images: %v", err)
	}
	if len(files) == 0 {
		return nil, &AdvisedError{Kind: ErrInvalid, Advice: AdviseCalibrationFolder, Msg: fmt.Sprintf("%s holds no images (JPEG, PNG, GIF) to calibrate the int8 model on", dir)}
	}
	paths := make([]string, 0, n)
	for _, f := range files[:min(n, len(files))] {
		paths = append(paths, f.Path)
	}
	rt, err := embed.LoadRuntime(o.env.ortLib)
	if err != nil {
		return nil, err
	}
	prog, end := libraryProgress(p, oneStage(fmt.Sprintf("int8: calibrating on %d images of %s", len(paths), dir), "img"))
	cal, err := embed.Calibrate(ctx, rt, embed.CalibrateOptions{Weights: weights, Prep: prep, Files: paths, Threads: o.env.threads,
		Progress: prog,
		OnBad:    func(b embed.BadFile) { p.Note(fmt.Sprintf("calibration: skipped %s: %s", b.Path, b.Reason)) },
	})
	end()
	if err != nil {
		return nil, err
	}
	p.Note(fmt.Sprintf("int8: %d-bit weights (%s), ranges by %s over %d images", cal.Quant.Bits(), embed.DetectCPU().Summary, cal.Rule, cal.Images))
	return cal, nil
}

// BuildModelOptions are `vecimg model build`'s: the fc6 graph of Weights
// written to Out.
type BuildModelOptions struct {
	Weights   string
	Out       string
	Size      int
	Precision string // fp32, fp16, mixed or int8
	// Calibrate and CalibrateFrom: as in ModelOptions; int8 needs
	// CalibrateFrom.
	Calibrate     int
	CalibrateFrom string
	ORTLib        string // ONNX Runtime library for calibration; "" = embed's discovery
	Progress      Progress
}

// BuildModelResult is types.BuildModelResult.
type BuildModelResult = types.BuildModelResult

// BuildModel writes the fc6 graph built from o.Weights to o.Out; an int8
// graph is calibrated first on o.CalibrateFrom's images. It needs no store.
func BuildModel(ctx context.Context, o BuildModelOptions) (BuildModelResult, error) {
	var res BuildModelResult
	p := o.Progress
	if p == nil {
		p = Quiet
	}
	mo := ModelOptions{Precision: o.Precision, Calibrate: o.Calibrate, CalibrateFrom: o.CalibrateFrom, env: modelEnv{ortLib: o.ORTLib}}
	precision := firstNonEmpty(o.Precision, vgg.PrecisionFP32)
	if err := checkInt8Options(nil, store.ModelSpec{}, precision, mo); err != nil {
		return res, err
	}
	if o.Size <= 0 || o.Size%32 != 0 {
		return res, paramErr("size", o.Size, "is not a positive multiple of 32 (448 for the blitz preset, 224 for imagenet)")
	}
	var q *vgg.Quant
	if precision == vgg.PrecisionInt8 {
		prep, err := embed.NewPreparer("blitz", 0)
		if err != nil {
			return res, err
		}
		if prep.Size() != o.Size {
			if prep, err = sizedPreparer(o.Size); err != nil {
				return res, err
			}
		}
		var qs *store.QuantSpec
		if q, qs, err = int8Quant(ctx, store.ModelSpec{}, precision, o.Weights, prep, mo, p); err != nil {
			return res, err
		}
		res.Quant = (*types.QuantSpec)(qs)
	}
	m, err := embed.BuildModelFile(o.Weights, o.Out, o.Size, precision, q)
	if err != nil {
		return res, err
	}
	res = BuildModelResult{Path: m.Path, Input: m.Input, Output: m.Output, Size: m.Size, Dim: m.Dim, Precision: m.Precision, Quant: res.Quant}
	if fi, err := os.Stat(m.Path); err == nil {
		res.Bytes = fi.Size()
	}
	return res, nil
}

// sizedPreparer is the preset whose input side is size, for calibrating a
// model built for it.
func sizedPreparer(size int) (embed.Preparer, error) {
	for _, name := range embed.PresetNames() {
		if p, err := embed.NewPreparer(name, 0); err == nil && p.Size() == size {
			return p, nil
		}
	}
	return nil, paramErr("size", size, "is no preprocessing preset's: an int8 model is calibrated on a preset's %d×%d images, so use the size of a preset (448 blitz, 224 imagenet)", size, size)
}

// Int8Hint is types.Int8Hint.
type Int8Hint = types.Int8Hint

// int8Hint returns the hint for an ingest that embedded embedded images on
// device with the model of spec: nil unless it was a CPU fp32 VGG16 ingest
// of over 100 images on a kind of CPU where int8 was measured.
func int8Hint(device string, spec store.ModelSpec, embedded int) *Int8Hint {
	if device != "cpu" || spec.Kind != store.ModelVGG16 || spec.Precision != vgg.PrecisionFP32 || embedded <= 100 {
		return nil
	}
	f := embed.DetectCPU()
	m, ok := embed.Int8Measured(f.Kind)
	if !ok {
		return nil
	}
	return &Int8Hint{CPU: f.Summary, Speedup: m.Speedup, CosineMin: m.CosineMin, CosineMean: m.CosineMean, Where: m.Where}
}
