package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vecimg/vecimg/embed"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// ModelOptions say which model embeds images. Every field is optional for
// a store that already has a manifest: its structured model spec says
// which model it needs, found in the cache, at the recorded path, or in the
// file given here (checked against the recorded SHA-256).
type ModelOptions struct {
	Weights    string // torchvision VGG16 weights (.pth)
	ONNX       string // a ready ONNX image model instead of VGG16 fc6
	Preset     string // preprocessing preset; "" = the store's, else blitz
	Precision  string // fp32, fp16, mixed or int8; "" = the store's, else fp32
	NoDownload bool   // never download weights
	MaxPixels  int64  // refuse larger images; 0 = embed's default
	// Calibrate and CalibrateFrom say which images a new int8 model's
	// activation ranges are measured on: the first Calibrate images (0 =
	// embed.DefaultCalibrationImages) of CalibrateFrom, or of the ingested
	// folder when CalibrateFrom is "". A store's int8 model keeps the
	// ranges it was made with (they are in its manifest).
	Calibrate     int
	CalibrateFrom string

	env modelEnv // set by the operation, not the caller
}

// modelSpec is s as the front ends' ModelSpec (internal/types).
func modelSpec(s store.ModelSpec) types.ModelSpec {
	out := types.ModelSpec{Kind: s.Kind, Name: s.Name, File: s.File, SHA256: s.SHA256, InputSize: s.InputSize,
		Precision: s.Precision, Preset: s.Preset}
	if s.Quant != nil {
		q := types.QuantSpec(*s.Quant)
		out.Quant = &q
	}
	return out
}

// modelEnv is what chooseModel needs from the operation calling it.
type modelEnv struct {
	ortLib   string // App's Config.ORTLib
	threads  int    // CPU threads for calibration
	calibDir string // the ingested folder: default calibration images
}

// chosenModel is a model ready for a session, with its preprocessing.
type chosenModel struct {
	model *embed.Model
	prep  embed.Preparer
	spec  store.ModelSpec // what the manifest records for it
}

// chooseModel finds the model for a store with manifest man (nil for a new
// store) and the user's options. It never writes to the store.
func chooseModel(ctx context.Context, man *store.Manifest, o ModelOptions, p Progress) (*chosenModel, error) {
	var spec store.ModelSpec
	if man != nil {
		spec = man.Spec
		switch spec.Kind {
		case store.ModelImported:
			return nil, &msgError{kind: ErrNoModel, msg: fmt.Sprintf("this store holds imported vectors (model %q, brought in by `vecimg import`): it has no model to embed images with; query it by stored id", spec.Name)}
		case "":
			if o.Weights == "" && o.ONNX == "" {
				return nil, optErr(ErrNoModel, nil, "the store's manifest does not say how its model (%s) was made: pass the store's {weights} FILE or {model} FILE", man.Model)
			}
		}
	}
	presetName := firstNonEmpty(o.Preset, spec.Preset, "blitz")
	prep, err := embed.NewPreparer(presetName, o.MaxPixels)
	if err != nil {
		return nil, optInvalidf("{preset}: %v", err)
	}
	onnx := o.ONNX
	if onnx == "" && o.Weights == "" && spec.Kind == store.ModelONNX {
		// The store was made with an ONNX file: use it where it was, if it
		// is still the same file.
		if spec.File == "" || !sameFile(spec.File, spec) {
			return nil, optErr(ErrNoModel, nil, "the store's vectors were made by the ONNX model %s (sha256 %s…), which is not there any more: pass {model} /path/to/%s",
				orUnknown(spec.File), short(spec.SHA256), baseOr(spec.File, "model.onnx"))
		}
		onnx = spec.File
	}
	if onnx != "" {
		if err := checkRecorded(onnx, spec, store.ModelONNX, opt("model")); err != nil {
			return nil, err
		}
		m, err := embed.PrepareModel(ctx, embed.ModelSpec{ONNX: onnx, Size: prep.Size()})
		if err != nil {
			return nil, err
		}
		return &chosenModel{model: m, prep: prep, spec: store.ModelSpec{Kind: store.ModelONNX, File: m.Source, SHA256: m.SourceSHA256, InputSize: prep.Size(), Preset: prep.Name()}}, nil
	}
	precision := firstNonEmpty(o.Precision, spec.Precision, "fp32")
	if err := checkInt8Options(man, spec, precision, o); err != nil {
		return nil, err
	}
	if man != nil && o.Weights == "" && os.Getenv(embed.WeightsEnv) == "" && presetName == man.Preset && precision == spec.Precision {
		// The store's own model, already built: no weights needed.
		if m, ok := embed.CachedModel(man.Model); ok {
			return &chosenModel{model: m, prep: prep, spec: spec}, nil
		}
	}
	weights := o.Weights
	if weights == "" && spec.Kind == store.ModelVGG16 && spec.File != "" && sameFile(spec.File, spec) {
		weights = spec.File
	}
	if weights == "" {
		wo := embed.WeightsOptions{NoDownload: o.NoDownload}
		if spec.Kind == store.ModelVGG16 && spec.SHA256 != "" && !strings.HasPrefix(spec.SHA256, embed.VGG16WeightsSHA256) {
			wo.NoDownload = true // the store's weights are not the published ones
		}
		var end func()
		wo.Progress, end = libraryProgress(p, oneStage("downloading "+embed.VGG16WeightsFile, "B"))
		w, err := embed.ResolveWeights(ctx, wo)
		end()
		if err != nil {
			if spec.Kind == store.ModelVGG16 {
				return nil, optErr(ErrNoModel, err, "the store's model is not in the cache and its weights %s (sha256 %s…) were not found: pass {weights} /path/to/%s (%v)",
					orUnknown(spec.File), short(spec.SHA256), baseOr(spec.File, embed.VGG16WeightsFile), err)
			}
			return nil, err
		}
		weights = w
	}
	if err := checkRecorded(weights, spec, store.ModelVGG16, opt("weights")); err != nil {
		return nil, err
	}
	quant, qspec, err := int8Quant(ctx, spec, precision, weights, prep, o, p)
	if err != nil {
		return nil, err
	}
	m, err := embed.PrepareModel(ctx, embed.ModelSpec{Weights: weights, Size: prep.Size(), Precision: precision, Quant: quant})
	if err != nil {
		return nil, err
	}
	return &chosenModel{model: m, prep: prep, spec: store.ModelSpec{Kind: store.ModelVGG16, File: m.Source, SHA256: m.SourceSHA256,
		InputSize: prep.Size(), Precision: m.Precision, Preset: prep.Name(), Quant: qspec}}, nil
}

// checkRecorded checks that file is the one the store's spec records (when
// it records one of this kind), before anything is built from it.
func checkRecorded(file string, spec store.ModelSpec, kind, what string) error {
	if spec.Kind != kind || spec.SHA256 == "" {
		return nil
	}
	sum, err := embed.FileSHA256(file)
	if err != nil {
		return optErr(nil, err, "%s %s: %v", what, file, err)
	}
	if !spec.MatchesSHA256(sum) {
		return optErr(store.ErrManifestMismatch, nil, "%s %s has sha256 %s…, but the store's vectors were made from %s (sha256 %s…): pass that file with %s",
			what, file, sum[:16], orUnknown(spec.File), short(spec.SHA256), what)
	}
	return nil
}

// sameFile reports whether path still holds the file the spec records.
func sameFile(path string, spec store.ModelSpec) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	sum, err := embed.FileSHA256(path)
	return err == nil && spec.MatchesSHA256(sum)
}

// modelState holds the session that embeds query images, created on first
// use and kept for later queries.
type modelState struct {
	mu   sync.Mutex // guards the fields and serialises Run (a Session is not safe for concurrent use)
	fp   string     // fingerprint of the model in sess
	sess *embed.Session
	prep embed.Preparer
}

// newSession loads ONNX Runtime and a session for m.
func (a *App) newSession(m *embed.Model) (*embed.Session, error) {
	rt, err := embed.LoadRuntime(a.cfg.ORTLib)
	if err != nil {
		return nil, err
	}
	return embed.NewSession(rt, m, embed.SessionOptions(a.cfg.Session))
}

// embedQuery embeds one image file with the store's model, reusing the
// App's session when the model is the same.
func (a *App) embedQuery(ctx context.Context, man store.Manifest, path string, o ModelOptions, p Progress) ([]float32, error) {
	ms := &a.models
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.sess == nil || ms.fp != man.Model {
		o.env = modelEnv{ortLib: a.cfg.ORTLib, threads: a.cfg.Session.Threads}
		cm, err := chooseModel(ctx, &man, o, p)
		if err != nil {
			return nil, fmt.Errorf("%s is not in the store, and embedding it needs the store's model: %w", path, err)
		}
		if cm.model.Fingerprint != man.Model {
			return nil, optErr(store.ErrManifestMismatch, nil, "%s is not in the store, and the model found (%s) is not the store's (%s): pass the store's {weights} or {model}", path, cm.model.Fingerprint, man.Model)
		}
		sess, err := a.newSession(cm.model)
		if err != nil {
			return nil, err
		}
		if ms.sess != nil {
			ms.sess.Close()
		}
		ms.sess, ms.fp, ms.prep = sess, man.Model, cm.prep
	}
	prep := ms.prep
	if o.MaxPixels != 0 || (o.Preset != "" && o.Preset != prep.Name()) {
		var err error
		if prep, err = embed.NewPreparer(firstNonEmpty(o.Preset, man.Preset), o.MaxPixels); err != nil {
			return nil, optInvalidf("{preset}: %v", err)
		}
	}
	v, err := embed.EmbedFile(ms.sess, prep, path)
	if err != nil {
		return nil, err
	}
	if len(v) != man.Dim {
		return nil, fmt.Errorf("the model gave %d values for %s, the store holds %d", len(v), path, man.Dim)
	}
	return v, nil
}

func (a *App) closeModels() {
	ms := &a.models
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.sess != nil {
		ms.sess.Close()
		ms.sess = nil
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func short(sum string) string {
	if len(sum) > 16 {
		return sum[:16]
	}
	if sum == "" {
		return "unknown"
	}
	return sum
}

func orUnknown(s string) string {
	if s == "" {
		return "(file not recorded)"
	}
	return s
}

func baseOr(path, def string) string {
	if path == "" {
		return def
	}
	return filepath.Base(path)
}
