package store

import (
	"encoding/json"
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
	// Records and a cluster run as schema 1 had them (the layout is the
	// same); written through a raw schema-1 session.
	s = &Store{}
	db, err := badger.Open(badgerOptions(path, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	s.db, s.path = db, path
	var m Manifest
	json.Unmarshal(b, &m)
	s.manifest, s.hasManifest = m, true
	recs := testRecords(20, 1, testDim)
	if err := s.Put(recs); err != nil {
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
