package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecimg/vecimg/embed/vgg"
	"github.com/vecimg/vecimg/internal/fsutil"
)

// ModelSpec says which model computes the vectors.
type ModelSpec struct {
	// Weights is a torchvision-format VGG16 .pth; the fc6 graph is built from
	// it in Go and cached. Ignored when ONNX is set.
	Weights string
	// ONNX is a ready ONNX image model (NCHW float32 input, one [N,D] output).
	ONNX string
	// Size is the square input size (the preset's).
	Size int
	// Precision of a built model (ignored for ONNX): "fp32" (default),
	// "fp16" (half weights and activations) or "mixed" (half convolutions,
	// float32 fc6) or "int8" (QDQ int8, needs Quant); see the
	// vgg.Precision constants.
	Precision string
	// Quant is an int8 model's activation ranges and weight width (from
	// Calibrate, or recorded in a store's manifest).
	Quant *vgg.Quant
	// CacheDir holds built models; default CacheDir()/models.
	CacheDir string
}

// Model is a model file ready for ONNX Runtime.
type Model struct {
	Path        string // the .onnx file
	Fingerprint string // identifies the vectors it produces: same fingerprint, same vectors
	Desc        string // human description
	Input       string // input tensor name
	Output      string // output tensor name
	Size        int
	Dim         int // output width; 0 when only known after a first run
	Precision   string
	// Source is the weights (.pth) or ONNX file the model came from, as an
	// absolute path, and SourceSHA256 its full hex SHA-256; both are empty
	// for a model found by CachedModel.
	Source       string `json:",omitempty"`
	SourceSHA256 string `json:",omitempty"`
}

// FileSHA256 returns the hex SHA-256 of a weights or model file, remembered
// in vecimg's cache by path, size and modification time.
func FileSHA256(path string) (string, error) {
	return fileSHA256Cached(path, filepath.Join(CacheDir(), "models"))
}

// PrepareModel returns the ONNX model for spec, building and caching the fc6
// graph from the weights when needed (keyed by the weights' SHA-256, the input
// size, the precision and the builder version).
func PrepareModel(ctx context.Context, spec ModelSpec) (*Model, error) {
	if spec.Size <= 0 {
		return nil, fmt.Errorf("%w: input size %d", ErrModel, spec.Size)
	}
	prec, err := checkPrecision(spec.Precision)
	if err != nil {
		return nil, err
	}
	spec.Precision = prec
	if spec.CacheDir == "" {
		spec.CacheDir = filepath.Join(CacheDir(), "models")
	}
	if spec.ONNX != "" {
		return externalModel(spec)
	}
	if spec.Weights == "" {
		return nil, fmt.Errorf("%w: no weights given", ErrModel)
	}
	sum, err := fileSHA256Cached(spec.Weights, spec.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("%w: hashing weights %s: %v", ErrWeights, spec.Weights, err)
	}
	// The precision's token in the cache key and fingerprint: an int8
	// model's names its quantisation too.
	tok, desc := spec.Precision, spec.Precision
	if spec.Precision == vgg.PrecisionInt8 {
		if spec.Quant == nil {
			return nil, fmt.Errorf("%w: an int8 model needs activation ranges (calibration)", ErrModel)
		}
		tok = spec.Precision + "-" + spec.Quant.Key()
		desc = fmt.Sprintf("int8 (%d-bit weights, ranges %s…)", spec.Quant.Bits(), spec.Quant.Key()[:8])
	}
	key := fmt.Sprintf("vgg16-fc6-%s-s%d-%s-b%d", sum[:16], spec.Size, tok, vgg.BuilderVersion)
	m := &Model{
		Path:        filepath.Join(spec.CacheDir, key+".onnx"),
		Fingerprint: fmt.Sprintf("vgg16-fc6:sha256=%s:size=%d:%s", sum[:16], spec.Size, tok),
		Desc:        fmt.Sprintf("VGG16 fc6 from %s (sha256 %s…), %d×%d, %s", filepath.Base(spec.Weights), sum[:8], spec.Size, spec.Size, desc),
		Input:       vgg.InputName,
		Output:      vgg.OutputName,
		Size:        spec.Size,
		Precision:   spec.Precision,
	}
	meta := m.Path + ".json"
	defer func() {
		if abs, err := filepath.Abs(spec.Weights); err == nil {
			m.Source = abs
		}
		m.SourceSHA256 = sum
	}()
	if b, err := os.ReadFile(meta); err == nil {
		var cached Model
		if json.Unmarshal(b, &cached) == nil && cached.Dim > 0 {
			if _, err := os.Stat(m.Path); err == nil {
				m.Dim = cached.Dim
				return m, nil
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, err := vgg.LoadPTH(spec.Weights)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWeights, err)
	}
	onnx, err := vgg.Build(w, vgg.BuildOptions{Size: spec.Size, Precision: spec.Precision, Quant: spec.Quant})
	if err != nil {
		return nil, fmt.Errorf("%w: building the fc6 graph from %s: %v", ErrModel, spec.Weights, err)
	}
	m.Dim = w.Dim()
	if err := writeFileAtomic(m.Path, onnx); err != nil {
		return nil, fmt.Errorf("%w: caching the model: %v", ErrModel, err)
	}
	b, _ := json.Marshal(m)
	if err := writeFileAtomic(meta, b); err != nil {
		return nil, fmt.Errorf("%w: caching the model: %v", ErrModel, err)
	}
	return m, nil
}

// checkPrecision returns the precision a built model gets for p ("" means
// fp32), or ErrModel when vgg cannot build it.
func checkPrecision(p string) (string, error) {
	switch p {
	case "":
		return vgg.PrecisionFP32, nil
	case vgg.PrecisionFP32, vgg.PrecisionFP16, vgg.PrecisionMixed, vgg.PrecisionInt8:
		return p, nil
	}
	return "", fmt.Errorf("%w: precision %q: use %s, %s, %s or %s", ErrModel, p, vgg.PrecisionFP32, vgg.PrecisionFP16, vgg.PrecisionMixed, vgg.PrecisionInt8)
}

// BuildModelFile builds the fc6 graph from weights and writes it to out
// (`vecimg model build`). precision is as in ModelSpec; int8 needs q. It
// returns the model description.
func BuildModelFile(weights, out string, size int, precision string, q *vgg.Quant) (*Model, error) {
	precision, err := checkPrecision(precision)
	if err != nil {
		return nil, err
	}
	w, err := vgg.LoadPTH(weights)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWeights, err)
	}
	onnx, err := vgg.Build(w, vgg.BuildOptions{Size: size, Precision: precision, Quant: q})
	if err != nil {
		return nil, fmt.Errorf("%w: building the fc6 graph from %s: %v", ErrModel, weights, err)
	}
	if err := writeFileAtomic(out, onnx); err != nil {
		return nil, fmt.Errorf("%w: writing %s: %v", ErrModel, out, err)
	}
	return &Model{Path: out, Input: vgg.InputName, Output: vgg.OutputName, Size: size, Dim: w.Dim(), Precision: precision}, nil
}

func externalModel(spec ModelSpec) (*Model, error) {
	sum, err := fileSHA256Cached(spec.ONNX, spec.CacheDir)
	if err != nil {
		return nil, fmt.Errorf("%w: reading model %s: %v", ErrModel, spec.ONNX, err)
	}
	abs, _ := filepath.Abs(spec.ONNX)
	return &Model{
		Path:         abs,
		Fingerprint:  fmt.Sprintf("onnx:sha256=%s:size=%d", sum[:16], spec.Size),
		Desc:         fmt.Sprintf("ONNX model %s (sha256 %s…), %d×%d", filepath.Base(spec.ONNX), sum[:8], spec.Size, spec.Size),
		Size:         spec.Size,
		Precision:    "model",
		Source:       abs,
		SourceSHA256: sum,
	}, nil
}

// fileSHA256Cached hashes a (possibly large) file, remembering the result
// keyed by absolute path, size and modification time.
func fileSHA256Cached(path, cacheDir string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(path)
	k := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%d", abs, fi.Size(), fi.ModTime().UnixNano())))
	memo := filepath.Join(cacheDir, "hashes", hex.EncodeToString(k[:8]))
	if b, err := os.ReadFile(memo); err == nil && len(strings.TrimSpace(string(b))) == 64 {
		return strings.TrimSpace(string(b)), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	_ = writeFileAtomic(memo, []byte(sum+"\n")) // only a cache
	return sum, nil
}

// writeFileAtomic writes data through the shared atomic-write helper,
// creating path's directory first.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// CachedModel finds the built model for a fingerprint in the model cache, so
// that a store's own model can be loaded without its weights file (query by a
// new image). ok is false when it is not cached (or the fingerprint is of an
// external ONNX model).
func CachedModel(fingerprint string) (*Model, bool) {
	var sum, prec string
	var size int
	parts := strings.Split(fingerprint, ":")
	if len(parts) != 4 || parts[0] != "vgg16-fc6" || !strings.HasPrefix(parts[1], "sha256=") || !strings.HasPrefix(parts[2], "size=") {
		return nil, false
	}
	sum = strings.TrimPrefix(parts[1], "sha256=")
	if _, err := fmt.Sscanf(strings.TrimPrefix(parts[2], "size="), "%d", &size); err != nil {
		return nil, false
	}
	prec = parts[3]
	key := fmt.Sprintf("vgg16-fc6-%s-s%d-%s-b%d", sum, size, prec, vgg.BuilderVersion)
	path := filepath.Join(CacheDir(), "models", key+".onnx")
	b, err := os.ReadFile(path + ".json")
	if err != nil {
		return nil, false
	}
	var m Model
	if json.Unmarshal(b, &m) != nil || m.Fingerprint != fingerprint || m.Dim <= 0 {
		return nil, false
	}
	if _, err := os.Stat(path); err != nil {
		return nil, false
	}
	m.Path = path
	return &m, true
}
