package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Model kinds recorded in ModelSpec.Kind.
const (
	ModelVGG16    = "vgg16-pth" // VGG16 fc6 built from torchvision .pth weights
	ModelONNX     = "onnx"      // a ready ONNX image model
	ModelImported = "imported"  // vectors brought from elsewhere (vecimg import); no model to run
)

// PresetNone is the preset of an imported store: no preprocessing is known.
const PresetNone = "none"

// ModelSpec says exactly which model made a store's vectors, so that the
// same model can be found or rebuilt to embed a new query image.
type ModelSpec struct {
	Kind string `json:"kind"`           // ModelVGG16, ModelONNX, ModelImported; "" when unknown
	Name string `json:"name,omitempty"` // ModelImported: the model name the user gave
	// File is the weights or ONNX file used when the store was made (an
	// absolute path; it may have moved since). Empty when unknown.
	File string `json:"file,omitempty"`
	// SHA256 is the hex SHA-256 of File. Stores upgraded from schema 1 know
	// only its first 16 hex digits.
	SHA256    string `json:"sha256,omitempty"`
	InputSize int    `json:"input_size,omitempty"` // model input side in pixels
	Precision string `json:"precision,omitempty"`  // ModelVGG16: fp32, fp16, mixed or int8
	Preset    string `json:"preset"`               // preprocessing preset (PresetNone when imported)
	// Quant is how a ModelVGG16 of precision int8 was quantised: with the
	// weights it rebuilds the identical model, on any CPU. Absent for the
	// other precisions (and in stores written before int8 existed).
	Quant *QuantSpec `json:"quant,omitempty"`
}

// QuantSpec records an int8 model's quantisation.
type QuantSpec struct {
	// Ranges are the upper ends of the uint8 activation ranges, in the
	// graph's order (embed/vgg.Quant); float32 values, exact in JSON.
	Ranges     []float32 `json:"ranges"`
	WeightBits int       `json:"weight_bits"` // 8, or 7 when built for a CPU without VNNI
	Rule       string    `json:"rule"`        // how the ranges were chosen (embed's range rules)
	// Images is the number of calibration images and Digest the hex
	// SHA-256 over their content SHA-256s, in the order measured.
	Images int    `json:"calibration_images"`
	Digest string `json:"calibration_sha256"`
}

// MatchesSHA256 reports whether sum (full hex) is the file recorded in the
// spec, accepting the 16-digit prefix kept by upgraded stores.
func (m ModelSpec) MatchesSHA256(sum string) bool {
	return len(m.SHA256) >= 16 && len(sum) >= len(m.SHA256) && strings.EqualFold(sum[:len(m.SHA256)], m.SHA256)
}

// Manifest says how a store's vectors were made. Every vector in a store
// comes from the same model and preprocessing; EnsureManifest enforces it.
type Manifest struct {
	// Schema is the store's schema on disk (set by the store). A schema-1
	// store opened read-only reports 1 until a writer upgrades it.
	Schema    int       `json:"schema"`
	Model     string    `json:"model"`                // model fingerprint, e.g. a hash of weights and graph
	ModelDesc string    `json:"model_desc,omitempty"` // human description ("VGG16 fc6, torchvision weights"); not compared
	Preset    string    `json:"preset"`               // preprocessing preset name
	Dim       int       `json:"dim"`                  // vector length
	InputSize int       `json:"input_size,omitempty"` // model input side in pixels; 0 if not applicable
	Created   time.Time `json:"created"`              // when the manifest was written (set by the store when zero)
	// Spec is the structured model description (schema 2). For a schema-1
	// store it is derived from Model, Preset and InputSize.
	Spec ModelSpec `json:"model_spec"`
	// Dups holds the duplicate thresholds calibrated on this store's images
	// (the calibration of `vecimg dups`); nil until then. Not compared.
	Dups *DupCalibration `json:"dups,omitempty"`
}

// DupCalibration is what the calibration of `vecimg dups` measured on a store's
// own images with its own model: the thresholds it chose and how they did
// on the calibration pairs.
type DupCalibration struct {
	Vector float64 `json:"vector"` // cosine distance D; negative: the signal is off
	PHash  int     `json:"phash"`  // Hamming distance; negative: off
	DHash  int     `json:"dhash"`  // Hamming distance; negative: off
	// Sample is the number of stored images copied; Precision and Recall
	// are the pair precision and recall of the chosen thresholds on them.
	Sample    int       `json:"sample"`
	Precision float64   `json:"precision"`
	Recall    float64   `json:"recall"`
	At        time.Time `json:"at"`
}

// SetDupCalibration stores c in the manifest (which must exist), replacing
// any earlier calibration. It does not bump the generation.
func (s *Store) SetDupCalibration(c DupCalibration) error {
	if s.readOnly {
		return s.wrapf(ErrReadOnly, "write calibration")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasManifest {
		return s.wrapf(fmt.Errorf("%w: calibrating needs a store with vectors", ErrNoManifest), "write calibration")
	}
	if math.IsNaN(c.Vector) || c.Vector > 2 || c.PHash > 64 || c.DHash > 64 {
		return s.wrapf(fmt.Errorf("%w: calibration thresholds %v, %d, %d", ErrInvalid, c.Vector, c.PHash, c.DHash), "write calibration")
	}
	if c.At.IsZero() {
		c.At = time.Now().UTC()
	}
	m := s.manifest
	m.Dups = &c
	b, err := json.Marshal(m)
	if err != nil {
		return s.wrapf(err, "encode manifest")
	}
	if err := s.ensureSpace(int64(len(b))); err != nil {
		return s.wrapf(err, "write calibration")
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keyManifest, b) }); err != nil {
		return s.wrapf(err, "write calibration")
	}
	s.manMu.Lock()
	s.manifest = m
	s.manMu.Unlock()
	return nil
}

// Manifest returns the store's manifest; ok is false when none was written
// yet.
func (s *Store) Manifest() (m Manifest, ok bool, err error) {
	s.manMu.RLock()
	defer s.manMu.RUnlock()
	return s.manifest, s.hasManifest, nil
}

// EnsureManifest writes want as the store's manifest when it has none, and
// otherwise checks that the stored one was made with the same model, preset,
// dimension and input size; if not, it returns a *MismatchError listing the
// fields that differ (ModelDesc, Created and the Spec's File are not
// compared). A want without Spec.Kind gets the spec derived from its
// fingerprint. Schema is set by the store; want.Schema must be 0 or
// SchemaVersion.
func (s *Store) EnsureManifest(want Manifest) error {
	switch {
	case want.Model == "":
		return fmt.Errorf("%w: manifest without a model fingerprint", ErrInvalid)
	case want.Preset == "":
		return fmt.Errorf("%w: manifest without a preset", ErrInvalid)
	case want.Dim < 1 || want.Dim > MaxDim:
		return fmt.Errorf("%w: manifest dimension %d not in 1..%d", ErrInvalid, want.Dim, MaxDim)
	case want.InputSize < 0:
		return fmt.Errorf("%w: manifest input size %d", ErrInvalid, want.InputSize)
	case want.Schema != 0 && want.Schema != SchemaVersion:
		return fmt.Errorf("%w: manifest schema %d, this vecimg writes %d", ErrInvalid, want.Schema, SchemaVersion)
	}
	if want.Spec.Kind == "" {
		want.Spec = specFromV1(want)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hasManifest {
		return compareManifest(s.path, s.manifest, want)
	}
	if s.readOnly {
		return s.wrapf(ErrReadOnly, "write manifest")
	}
	want.Schema = SchemaVersion
	if want.Created.IsZero() {
		want.Created = time.Now().UTC()
	}
	b, err := json.Marshal(want)
	if err != nil {
		return s.wrapf(err, "encode manifest")
	}
	if err := s.ensureSpace(int64(len(b))); err != nil {
		return s.wrapf(err, "write manifest")
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keyManifest, b) }); err != nil {
		return s.wrapf(err, "write manifest")
	}
	s.manMu.Lock()
	s.manifest, s.hasManifest = want, true
	s.manMu.Unlock()
	return nil
}

func compareManifest(path string, stored, want Manifest) error {
	var diffs []FieldMismatch
	add := func(field, st, wa string) {
		if st != wa {
			diffs = append(diffs, FieldMismatch{Field: field, Stored: st, Wanted: wa})
		}
	}
	add("model", stored.Model, want.Model)
	add("preset", stored.Preset, want.Preset)
	add("dim", strconv.Itoa(stored.Dim), strconv.Itoa(want.Dim))
	add("input size", strconv.Itoa(stored.InputSize), strconv.Itoa(want.InputSize))
	if stored.Spec.Kind != "" && want.Spec.Kind != "" {
		add("model kind", stored.Spec.Kind, want.Spec.Kind)
	}
	if len(diffs) == 0 {
		return nil
	}
	return &MismatchError{Path: path, Fields: diffs}
}

// specFromV1 derives the structured spec of a schema-1 manifest from its
// fingerprint, which vecimg wrote as
//
//	vgg16-fc6:sha256=<16 hex>:size=<n>:<precision>   (VGG16 from .pth weights)
//	onnx:sha256=<16 hex>:size=<n>                    (an ONNX model file)
//
// Any other fingerprint gives a spec of unknown kind ("").
func specFromV1(m Manifest) ModelSpec {
	spec := ModelSpec{Preset: m.Preset, InputSize: m.InputSize}
	parts := strings.Split(m.Model, ":")
	field := func(i int, prefix string) (string, bool) {
		if i >= len(parts) || !strings.HasPrefix(parts[i], prefix) {
			return "", false
		}
		return strings.TrimPrefix(parts[i], prefix), true
	}
	sum, okSum := field(1, "sha256=")
	size, okSize := field(2, "size=")
	n, err := strconv.Atoi(size)
	if !okSum || !okSize || err != nil || len(sum) != 16 {
		return spec
	}
	switch {
	case parts[0] == "vgg16-fc6" && len(parts) == 4:
		spec.Kind, spec.Precision = ModelVGG16, parts[3]
	case parts[0] == "onnx" && len(parts) == 3:
		spec.Kind = ModelONNX
	default:
		return spec
	}
	spec.SHA256, spec.InputSize = sum, n
	return spec
}

// readManifest reads the manifest key. A manifest without a spec (schema 1)
// gets the one derived from its fingerprint.
func (s *Store) readManifest() (m Manifest, ok bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		m, ok, err = readManifestTxn(txn)
		return err
	})
	if err != nil {
		return m, false, s.wrapf(err, "read manifest")
	}
	return m, ok, nil
}

func readManifestTxn(txn *badger.Txn) (m Manifest, ok bool, err error) {
	ok, err = getJSON(txn, keyManifest, &m)
	if err != nil || !ok {
		return m, false, err
	}
	if m.Dim < 1 || m.Dim > MaxDim || m.Model == "" {
		return m, false, &CorruptError{Key: printableKey(keyManifest), Reason: fmt.Sprintf("manifest with dimension %d, model %q", m.Dim, m.Model)}
	}
	if m.Spec.Kind == "" && m.Spec.Preset == "" {
		m.Spec = specFromV1(m)
	}
	return m, true, nil
}

// upgradeTxn brings a schema-1 or -2 store to SchemaVersion in one
// transaction: the manifest gains its structured spec (derived from the
// fingerprint, for schema 1) and the schema key becomes SchemaVersion.
// Counters and the cluster run are the same in every schema and are not
// touched; records keep their format-1 values, which schema 3 still reads,
// until they are rewritten or resealed (Store.Reseal).
func upgradeTxn(txn *badger.Txn) error {
	m, ok, err := readManifestTxn(txn)
	if err != nil {
		return err
	}
	if ok {
		m.Schema = SchemaVersion
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := txn.Set(keyManifest, b); err != nil {
			return err
		}
	}
	return txn.Set(keySchema, putUint(SchemaVersion))
}

// getJSON decodes a JSON value; found is false when the key is absent.
func getJSON(txn *badger.Txn, key []byte, v any) (found bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	err = item.Value(func(b []byte) error {
		if err := json.Unmarshal(b, v); err != nil {
			return &CorruptError{Key: printableKey(key), Reason: err.Error()}
		}
		return nil
	})
	return err == nil, err
}

// ClusterRun records the last clustering written back to the store.
type ClusterRun struct {
	K       int               `json:"k"`
	Seed    int64             `json:"seed"`
	Params  map[string]string `json:"params,omitempty"` // algorithm settings, as the cluster package names them
	Inertia float64           `json:"inertia"`          // sum of squared distances to the assigned centres
	Centers [][]float32       `json:"centers"`          // K centres of Manifest.Dim values
	Sizes   []int             `json:"sizes"`            // records per cluster, indexed by label
	// Generation is the store generation whose vectors were clustered; when
	// Store.Generation has moved on, records were added, replaced or deleted
	// since and their labels may be missing or stale.
	Generation uint64    `json:"generation"`
	At         time.Time `json:"at"` // when the run finished (set by the store when zero)
	// Run numbers the clusterings of a store (1, 2, …; set by PutClusterRun).
	// 0 for a run stored before run numbers, whose labels are in the
	// records' metadata.
	Run uint64 `json:"run,omitempty"`
}

// PutClusterRun stores r as the store's clustering and makes the labels
// SetLabels wrote since the last PutClusterRun the current ones, in one
// commit (r.Run is set to the new run number); then it deletes the labels of
// earlier runs. It does not bump the generation.
func (s *Store) PutClusterRun(r ClusterRun) error {
	if s.readOnly {
		return s.wrapf(ErrReadOnly, "write cluster run")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkClusterRun(&r, s.manifest.Dim); err != nil {
		return err
	}
	if r.At.IsZero() {
		r.At = time.Now().UTC()
	}
	r.Run = s.run.Load() + 1
	b, err := json.Marshal(r)
	if err != nil {
		return s.wrapf(err, "encode cluster run")
	}
	if err := s.ensureSpace(int64(len(b))); err != nil {
		return s.wrapf(err, "write cluster run")
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(keyCluster, b); err != nil {
			return err
		}
		return txn.Set(keyRun, putUint(r.Run))
	})
	if err != nil {
		return s.wrapf(err, "write cluster run")
	}
	s.run.Store(r.Run)
	if err := s.saveState(); err != nil {
		return s.wrapf(err, "write cluster run (committed; recording it failed)")
	}
	if err := s.pruneLabels(r.Run); err != nil {
		return s.wrapf(err, "delete the labels of earlier clusterings (the new one is committed)")
	}
	return nil
}

func checkClusterRun(r *ClusterRun, dim int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: cluster run: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case r.K < 1:
		return bad("k = %d", r.K)
	case len(r.Centers) != r.K:
		return bad("%d centres for k = %d", len(r.Centers), r.K)
	case len(r.Sizes) != r.K:
		return bad("%d sizes for k = %d", len(r.Sizes), r.K)
	case math.IsNaN(r.Inertia) || math.IsInf(r.Inertia, 0) || r.Inertia < 0:
		return bad("inertia %v", r.Inertia)
	}
	for i, c := range r.Centers {
		if dim > 0 && len(c) != dim {
			return bad("centre %d has %d values, the store's dimension is %d", i, len(c), dim)
		}
		for _, f := range c {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return bad("centre %d holds %v", i, f)
			}
		}
	}
	return nil
}

// ClusterRun returns the last clustering stored with PutClusterRun; ok is
// false when there is none.
func (s *Store) ClusterRun() (r ClusterRun, ok bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		ok, err = getJSON(txn, keyCluster, &r)
		return err
	})
	if err != nil {
		return r, false, s.wrapf(err, "read cluster run")
	}
	return r, ok, nil
}
