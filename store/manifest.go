package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Manifest says how a store's vectors were made. Every vector in a store
// comes from the same model and preprocessing; EnsureManifest enforces it.
type Manifest struct {
	Schema    int       `json:"schema"`               // SchemaVersion of the store (set by the store)
	Model     string    `json:"model"`                // model fingerprint, e.g. a hash of weights and graph
	ModelDesc string    `json:"model_desc,omitempty"` // human description ("VGG16 fc6, torchvision weights"); not compared
	Preset    string    `json:"preset"`               // preprocessing preset name
	Dim       int       `json:"dim"`                  // vector length
	InputSize int       `json:"input_size,omitempty"` // model input side in pixels; 0 if not applicable
	Created   time.Time `json:"created"`              // when the manifest was written (set by the store when zero)
}

// Manifest returns the store's manifest; ok is false when none was written
// yet.
func (s *Store) Manifest() (m Manifest, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.manifest, s.hasManifest, nil
}

// EnsureManifest writes want as the store's manifest when it has none, and
// otherwise checks that the stored one was made with the same model, preset,
// dimension and input size; if not, it returns a *MismatchError listing the
// fields that differ (ModelDesc and Created are not compared). Schema is set
// by the store; want.Schema must be 0 or SchemaVersion.
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
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keyManifest, b) }); err != nil {
		return s.wrapf(err, "write manifest")
	}
	s.manifest, s.hasManifest = want, true
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
	if len(diffs) == 0 {
		return nil
	}
	return &MismatchError{Path: path, Fields: diffs}
}

// readManifest reads the manifest key.
func (s *Store) readManifest() (m Manifest, ok bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		ok, err = getJSON(txn, keyManifest, &m)
		return err
	})
	if err != nil {
		return m, false, s.wrapf(err, "read manifest")
	}
	if ok && (m.Dim < 1 || m.Dim > MaxDim || m.Model == "") {
		return m, false, &CorruptError{Key: printableKey(keyManifest), Reason: fmt.Sprintf("manifest with dimension %d, model %q", m.Dim, m.Model)}
	}
	return m, ok, nil
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
}

// PutClusterRun stores r as the store's last clustering, replacing any
// earlier one. It does not bump the generation.
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
	b, err := json.Marshal(r)
	if err != nil {
		return s.wrapf(err, "encode cluster run")
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(keyCluster, b) }); err != nil {
		return s.wrapf(err, "write cluster run")
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
