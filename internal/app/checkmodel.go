package app

import (
	"strings"

	"github.com/vecimg/vecimg/store"
)

// CheckModel checks, without building or loading anything, that model
// options o can add images to the store: a store of imported vectors has no
// model, and a preset, precision, weights or ONNX file that differs from
// the one the store's vectors were made with would make vectors that do not
// compare with them (store.ErrManifestMismatch). A missing store passes (a
// writer creates it). Ingest runs it first; `vecimg serve --watch` runs it
// at start so that a mistake is refused there, not retried forever.
func (a *App) CheckModel(o ModelOptions) error {
	if strings.HasSuffix(strings.ToLower(o.Weights), ".onnx") {
		return optInvalidf("{weights} %s is an ONNX model: pass it with {model} ({weights} takes torchvision VGG16 weights, .pth)", o.Weights)
	}
	man, err := a.manifestIfAny()
	if err != nil || man == nil {
		return err
	}
	spec := man.Spec
	if spec.Kind == store.ModelImported {
		return optErr(ErrNoModel, nil, "store %s holds imported vectors (model %q): images cannot be embedded into it; use another {db}", a.cfg.DB, spec.Name)
	}
	mismatch := func(what, stored, given string) error {
		return optErr(store.ErrManifestMismatch, nil, "the vectors of store %s were made with %s %s, not %s: vectors of another %s do not compare with them; leave %s out to use the store's, or pass another {db}",
			a.cfg.DB, what, stored, given, what, opt(what))
	}
	if o.Preset != "" && man.Preset != "" && o.Preset != man.Preset {
		return mismatch("preset", man.Preset, o.Preset)
	}
	if o.Precision != "" && spec.Kind == store.ModelVGG16 && spec.Precision != "" && o.Precision != spec.Precision {
		return mismatch("precision", spec.Precision, o.Precision)
	}
	if o.ONNX != "" && spec.Kind == store.ModelVGG16 {
		return optErr(store.ErrManifestMismatch, nil, "the vectors of store %s were made by VGG16 fc6 from weights, not by an ONNX model: leave {model} out, or pass another {db}", a.cfg.DB)
	}
	if o.Weights != "" && spec.Kind == store.ModelONNX {
		return optErr(store.ErrManifestMismatch, nil, "the vectors of store %s were made by the ONNX model %s, not from VGG16 weights: leave {weights} out (or pass the store's {model}), or pass another {db}", a.cfg.DB, orUnknown(spec.File))
	}
	if o.Weights != "" {
		if err := checkRecorded(o.Weights, spec, store.ModelVGG16, opt("weights")); err != nil {
			return err
		}
	}
	if o.ONNX != "" {
		return checkRecorded(o.ONNX, spec, store.ModelONNX, opt("model"))
	}
	return nil
}
