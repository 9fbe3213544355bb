package store

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// v1Manifest is the manifest JSON as schema 1 wrote it (no model_spec).
type v1Manifest struct {
	Schema    int       `json:"schema"`
	Model     string    `json:"model"`
	ModelDesc string    `json:"model_desc,omitempty"`
	Preset    string    `json:"preset"`
	Dim       int       `json:"dim"`
	InputSize int       `json:"input_size,omitempty"`
	Created   time.Time `json:"created"`
}

// makeSchema1 turns a fresh store into what schema 1 wrote: schema key 1 and
// a manifest without a spec, then fills it with records and a cluster run.
func makeSchema1(t *testing.T, path, fingerprint string) []Record {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v1Manifest{Schema: 1, Model: fingerprint, ModelDesc: "VGG16 fc6 from w.pth", Preset: "blitz", Dim: testDim, InputSize: 448, Created: time.Now().UTC()})
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(keySchema, putUint(1)); err != nil {
			return err
		}
		return txn.Set(keyManifest, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path, Options{ReadOnly: true}) // a reader does not upgrade
	if err != nil {
		t.Fatal(err)
	}
	if s.Schema() != 1 {
		t.Fatalf("read-only open changed the schema to %d", s.Schema())
	}
	s.Close()
	return putLegacy(t, path, b)
}

// legacyData and legacyMeta encode values as schemas 1 and 2 wrote them:
// format 1, no checksum, no hashes.
func legacyData(r *Record, sha [32]byte) []byte {
	v := appendDataBody(nil, r, sha)
	v[0] = legacyFormat
	return v
}

func legacyMeta(m *Meta) []byte {
	v := appendMeta(nil, &Meta{Label: m.Label, Distance: m.Distance, Extra: m.Extra})
	v = v[:len(v)-crcLen-1] // no flags byte, no trailer
	v[0] = legacyFormat
	return v
}

// putLegacy writes 20 records and a cluster run as schemas 1 and 2 had them
// into the store at path (whose manifest JSON is manifest), through a raw
// badger session.
func putLegacy(t *testing.T, path string, manifest []byte) []Record {
	t.Helper()
	s := &Store{}
	db, err := badger.Open(badgerOptions(path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	s.db, s.path = db, path
	var m Manifest
	json.Unmarshal(manifest, &m)
	s.manifest, s.hasManifest = m, true
	recs := testRecords(20, 1, testDim)
	err = db.Update(func(txn *badger.Txn) error {
		for i := range recs {
			r := &recs[i]
			sha, _ := parseSHA(r.SHA256)
			meta := Meta{Label: int32(i % 3), Distance: float32(i), Extra: map[string]string{"n": r.ID}}
			r.Meta = meta
			for _, e := range [...]struct{ k, v []byte }{
				{recordKey(r.ID, suffixData), legacyData(r, sha)},
				{recordKey(r.ID, suffixMeta), legacyMeta(&meta)},
				{hashKey(sha, r.ID), nil},
				{pathKey(r.Path, r.ID), nil},
			} {
				if err := txn.Set(e.k, e.v); err != nil {
					return err
				}
			}
		}
		return setCounters(txn, 1, uint64(len(recs)))
	})
	if err != nil {
		t.Fatal(err)
	}
	// A schema-1 run: no run number, labels (none here) in the metadata.
	rb, _ := json.Marshal(ClusterRun{K: 1, Centers: [][]float32{recs[0].Vector}, Sizes: []int{20}, Inertia: 1, Generation: 1})
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(keyCluster, rb) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return recs
}

// makeSchema2 makes a store as schema 2 wrote it: schema key 2, a manifest
// with its spec, format-1 records.
func makeSchema2(t *testing.T, path string) []Record {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := testManifest(testDim)
	m.Schema, m.Spec, m.Created = 2, ModelSpec{Kind: ModelONNX, SHA256: "fedcba9876543210", InputSize: 448, Preset: "blitz"}, time.Now().UTC()
	b, _ := json.Marshal(m)
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(keySchema, putUint(2)); err != nil {
			return err
		}
		return txn.Set(keyManifest, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return putLegacy(t, path, b)
}

// sameAsLegacy checks that rec is r as putLegacy stored it.
func sameAsLegacy(t *testing.T, got, r Record) {
	t.Helper()
	if got.Path != r.Path || got.SHA256 != r.SHA256 || got.Width != r.Width || got.Height != r.Height || !got.Added.Equal(r.Added) ||
		got.Meta.Label != r.Meta.Label || got.Meta.Distance != r.Meta.Distance || got.Meta.Extra["n"] != r.ID || got.Meta.Hashes.Present {
		t.Fatalf("%s: got %+v, want %+v", r.ID, got, r)
	}
	for i := range r.Vector {
		if math.Float32bits(got.Vector[i]) != math.Float32bits(r.Vector[i]) {
			t.Fatalf("%s: vector[%d] %v, want %v", r.ID, i, got.Vector[i], r.Vector[i])
		}
	}
}

// TestUpgradeSchema2 opens a schema-2 store for writing: it becomes schema
// 3 in place, its format-1 records read as before, Reseal gives them
// checksums without changing a byte of their content, and from then on a
// flipped byte is caught.
func TestUpgradeSchema2(t *testing.T) {
	path := t.TempDir() + "/db"
	recs := makeSchema2(t, path)
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if ro.Schema() != 2 {
		t.Fatalf("read-only schema %d", ro.Schema())
	}
	got, err := ro.Get(recs[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	sameAsLegacy(t, got, recs[3])
	ro.Close()

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, _, _ := s.Manifest()
	if s.Schema() != SchemaVersion || m.Schema != SchemaVersion || m.Spec.Kind != ModelONNX {
		t.Fatalf("after a writer's open: schema %d, manifest %+v", s.Schema(), m)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	gen0, _ := s.Generation()
	ctx := context.Background()
	if d, mm, err := s.Unsealed(ctx); d != len(recs) || mm != len(recs) || err != nil {
		t.Fatalf("Unsealed before Reseal = %d, %d, %v", d, mm, err)
	}
	// A rewrite on its own seals what it writes: new hashes seal one meta.
	if err := s.SetHashes([]HashUpdate{{ID: recs[0].ID, Hashes: recs[0].Meta.Hashes}}); err != nil {
		t.Fatal(err)
	}
	if _, mm, _ := s.Unsealed(ctx); mm != len(recs)-1 {
		t.Fatalf("after SetHashes %d unsealed metas", mm)
	}
	calls := 0
	n, err := s.Reseal(ctx, func(int) { calls++ })
	if n != 2*len(recs)-1 || err != nil || calls == 0 {
		t.Fatalf("Reseal = %d, %v (%d progress calls)", n, err, calls)
	}
	if d, mm, err := s.Unsealed(ctx); d != 0 || mm != 0 || err != nil {
		t.Fatalf("Unsealed after Reseal = %d, %d, %v", d, mm, err)
	}
	if n, err := s.Reseal(ctx, nil); n != 0 || err != nil {
		t.Fatalf("second Reseal = %d, %v", n, err)
	}
	if gen, _ := s.Generation(); gen != gen0 {
		t.Errorf("Reseal moved the generation from %d to %d", gen0, gen)
	}
	for _, r := range recs {
		got, err := s.Get(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameAsLegacy(t, got, r)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	flipValue(t, s, recordKey(recs[5].ID, suffixData), 40)
	flipValue(t, s, recordKey(recs[7].ID, suffixMeta), 2)
	for _, id := range []string{recs[5].ID, recs[7].ID} {
		var ce *CorruptError
		if _, err := s.Get(id); !errors.Is(err, ErrChecksum) || !errors.As(err, &ce) || ce.ID != id {
			t.Errorf("Get(%s) after a flipped byte = %v", id, err)
		}
	}
	err = s.Check()
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), recs[5].ID) || !strings.Contains(err.Error(), recs[7].ID) {
		t.Errorf("Check after flipped bytes = %v", err)
	}
	if err := s.ScanVectors(ctx, func(string, []float32) error { return nil }); !errors.Is(err, ErrChecksum) {
		t.Errorf("ScanVectors = %v", err)
	}
	if err := s.ScanHashes(ctx, func(string, Hashes) error { return nil }); !errors.Is(err, ErrChecksum) {
		t.Errorf("ScanHashes = %v", err)
	}
	// Rewriting the damaged records repairs them.
	fresh := []Record{testRecord(recs[5].ID, 2, testDim), testRecord(recs[7].ID, 2, testDim)}
	mustPut(t, s, fresh)
	if err := s.Check(); err != nil {
		t.Errorf("Check after rewriting the damaged records = %v", err)
	}
}

// flipValue flips bit 3 of byte i of the value at key, as bit rot would.
func flipValue(t *testing.T, s *Store, key []byte, i int) {
	t.Helper()
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	v[i] ^= 8
	setRaw(t, s, key, v)
}

func TestHashesRoundTrip(t *testing.T) {
	s := openTestStore(t)
	recs := testRecords(5, 1, testDim)
	recs[1].Meta.Hashes = Hashes{Present: true, PHash: 1 << 63, DHash: 7, PMirror: 9}
	recs[2].Meta.Hashes = Hashes{PHash: 3} // values without Present
	if err := s.Put(recs); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Put of hashes marked absent = %v", err)
	}
	recs[2].Meta.Hashes = Hashes{}
	mustPut(t, s, recs)
	got, err := s.Get(recs[1].ID)
	if err != nil || got.Meta.Hashes != recs[1].Meta.Hashes {
		t.Fatalf("Get: %+v, %v", got.Meta.Hashes, err)
	}
	if err := setTestLabels(s, []LabelUpdate{{ID: recs[1].ID, Label: 2, Distance: 1}}); err != nil {
		t.Fatal(err)
	}
	h3 := Hashes{Present: true, PHash: 11, DHash: 12, PMirror: 13}
	if err := s.SetHashes([]HashUpdate{{ID: recs[3].ID, Hashes: h3}, {ID: "nope", Hashes: h3}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetHashes with a missing id = %v", err)
	}
	gen0, _ := s.Generation()
	if err := s.SetHashes([]HashUpdate{{ID: recs[3].ID, Hashes: h3}}); err != nil {
		t.Fatal(err)
	}
	if gen, _ := s.Generation(); gen != gen0 {
		t.Error("SetHashes moved the generation")
	}
	want := map[string]Hashes{recs[1].ID: recs[1].Meta.Hashes, recs[3].ID: h3}
	n := 0
	err = s.ScanHashes(context.Background(), func(id string, h Hashes) error {
		n++
		if h != want[id] {
			t.Errorf("%s: hashes %+v, want %+v", id, h, want[id])
		}
		return nil
	})
	if err != nil || n != len(recs) {
		t.Fatalf("ScanHashes: %d records, %v", n, err)
	}
	got, _ = s.Get(recs[1].ID)
	if got.Meta.Label != 2 || got.Meta.Hashes != recs[1].Meta.Hashes {
		t.Errorf("SetLabels lost the hashes or the label: %+v", got.Meta)
	}
	got, _ = s.Get(recs[3].ID)
	if got.Meta.Label != NoLabel || got.Meta.Hashes != h3 {
		t.Errorf("after SetHashes: %+v", got.Meta)
	}
}

func TestUpgradeSchema1(t *testing.T) {
	for _, tc := range []struct {
		fingerprint string
		want        ModelSpec
	}{
		{"vgg16-fc6:sha256=0123456789abcdef:size=448:fp16", ModelSpec{Kind: ModelVGG16, SHA256: "0123456789abcdef", InputSize: 448, Precision: "fp16", Preset: "blitz"}},
		{"onnx:sha256=fedcba9876543210:size=224", ModelSpec{Kind: ModelONNX, SHA256: "fedcba9876543210", InputSize: 224, Preset: "blitz"}},
		{"something-else", ModelSpec{InputSize: 448, Preset: "blitz"}},
	} {
		path := t.TempDir() + "/db"
		recs := makeSchema1(t, path, tc.fingerprint)
		// Read-only: the spec is derived, the disk stays schema 1.
		ro, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		m, ok, _ := ro.Manifest()
		if !ok || m.Spec != tc.want || m.Schema != 1 || ro.Schema() != 1 {
			t.Fatalf("%s read-only: schema %d, spec %+v, want %+v", tc.fingerprint, ro.Schema(), m.Spec, tc.want)
		}
		ro.Close()
		// Read-write: upgraded in place, nothing lost.
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Schema() != SchemaVersion {
			t.Fatalf("schema after a writer's open: %d", s.Schema())
		}
		if err := s.Check(); err != nil {
			t.Fatal(err)
		}
		n, _ := s.Count()
		run, ok, err := s.ClusterRun()
		if n != len(recs) || !ok || err != nil || run.K != 1 {
			t.Fatalf("after upgrade: %d records (want %d), cluster run %v %v", n, len(recs), ok, err)
		}
		for _, r := range recs {
			got, err := s.Get(r.ID)
			if err != nil || got.SHA256 != r.SHA256 || got.Vector[0] != r.Vector[0] {
				t.Fatalf("%s after upgrade: %v", r.ID, err)
			}
		}
		if err := s.EnsureManifest(Manifest{Model: tc.fingerprint, Preset: "blitz", Dim: testDim, InputSize: 448}); err != nil {
			t.Fatalf("the upgraded manifest no longer matches its model: %v", err)
		}
		s.Close()
		// The upgrade is on disk: a reader sees schema 2 and the spec.
		ro, err = Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		m, _, _ = ro.Manifest()
		if ro.Schema() != SchemaVersion || m.Schema != SchemaVersion || m.Spec != tc.want {
			t.Fatalf("reopened: schema %d, spec %+v", ro.Schema(), m.Spec)
		}
		ro.Close()
	}
}

func TestSpecMatchesSHA256(t *testing.T) {
	full := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		rec  string
		sum  string
		want bool
	}{
		{full, full, true},
		{full[:16], full, true},
		{"0123456789ABCDEF", full, true},
		{full[:16], "f" + full[1:], false},
		{"", full, false},
		{full[:8], full, false}, // too short to trust
	} {
		if got := (ModelSpec{SHA256: tc.rec}).MatchesSHA256(tc.sum); got != tc.want {
			t.Errorf("MatchesSHA256(%q, %q) = %v", tc.rec, tc.sum, got)
		}
	}
}

func TestDupCalibration(t *testing.T) {
	s := openTestStore(t)
	if err := s.SetDupCalibration(DupCalibration{Vector: 3}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("D = 3 accepted: %v", err)
	}
	c := DupCalibration{Vector: 0.01, PHash: 9, DHash: -1, Sample: 200, Precision: 0.995, Recall: 0.97}
	if err := s.SetDupCalibration(c); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	s.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	m, _, _ := ro.Manifest()
	if m.Dups == nil || m.Dups.PHash != 9 || m.Dups.Vector != 0.01 || m.Dups.At.IsZero() || m.Model != testManifest(testDim).Model {
		t.Fatalf("manifest after calibration: %+v", m)
	}
	if err := ro.EnsureManifest(testManifest(testDim)); err != nil {
		t.Fatalf("the calibration made the manifest differ: %v", err)
	}
}
