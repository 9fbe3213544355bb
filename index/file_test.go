package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// smallIndex builds a small index with some deletes and updates, so that it
// has free slots and upper layers.
func smallIndex(tb testing.TB, n, dim int, seed uint64) (*Index, [][]float32) {
	tb.Helper()
	m := mixture{Dim: dim, Components: 4, Latent: 3, Spread: 1, Noise: 0.3, Seed: seed}
	base, qs := m.generate(n, 20)
	x := mustNew(tb, dim, Config{M: 4, EfConstruction: 20, EfSearch: 12, ExactBelow: -1, Seed: seed})
	for i, v := range base {
		if err := x.Add(idOf(i), v); err != nil {
			tb.Fatal(err)
		}
	}
	for i := 0; i < n; i += 7 {
		x.Delete(idOf(i))
	}
	for i := 3; i < n; i += 11 {
		if err := x.Add(idOf(i), qs[i%len(qs)]); err != nil {
			tb.Fatal(err)
		}
	}
	return x, qs
}

func encode(tb testing.TB, x *Index) []byte {
	tb.Helper()
	var buf bytes.Buffer
	n, err := x.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		tb.Fatalf("WriteTo = %d, %v (wrote %d)", n, err, buf.Len())
	}
	return buf.Bytes()
}

func sameSearches(t *testing.T, a, b *Index, qs [][]float32) {
	t.Helper()
	if !slices.Equal(a.IDs(), b.IDs()) {
		t.Fatalf("ids differ: %d vs %d", a.Len(), b.Len())
	}
	for _, id := range a.IDs() {
		va, _ := a.Vector(id)
		vb, _ := b.Vector(id)
		if !slices.Equal(va, vb) {
			t.Fatalf("vector of %q differs", id)
		}
	}
	for _, q := range qs {
		for _, m := range []Method{Graph, Exact} {
			ra, err1 := a.SearchWith(q, SearchOptions{K: 10, Method: m})
			rb, err2 := b.SearchWith(q, SearchOptions{K: 10, Method: m})
			if err1 != nil || err2 != nil || !slices.Equal(ra, rb) {
				t.Fatalf("%v search differs:\n%v %v\n%v %v", m, ra, err1, rb, err2)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	x, qs := smallIndex(t, 300, 16, 1)
	x.SetGeneration(42)
	data := encode(t, x)

	y := mustNew(t, 3, Config{}) // ReadFrom replaces dimension and config
	n, err := y.ReadFrom(bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom = %d, %v; want %d", n, err, len(data))
	}
	if y.Dim() != 16 || y.Config() != x.Config() || y.Generation() != 42 {
		t.Fatalf("dim %d config %+v generation %d", y.Dim(), y.Config(), y.Generation())
	}
	sameSearches(t, x, y, qs)
	if again := encode(t, y); !bytes.Equal(again, data) {
		t.Fatal("re-encoding a loaded index changed the bytes")
	}

	path := filepath.Join(t.TempDir(), "vecimg.hnsw")
	if err := x.Save(path, 7); err != nil {
		t.Fatal(err)
	}
	z, gen, err := Load(path)
	if err != nil || gen != 7 {
		t.Fatalf("Load = %v, generation %d", err, gen)
	}
	sameSearches(t, x, z, qs)
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("Save left %d files in the directory", len(entries))
	}

	// A loaded index keeps working: it takes adds and deletes like the
	// original, with the same results.
	for i, q := range qs[:5] {
		for _, ix := range []*Index{x, z} {
			if err := ix.Add("new"+idOf(i), q); err != nil {
				t.Fatal(err)
			}
			ix.Delete(idOf(1 + i))
		}
	}
	sameSearches(t, x, z, qs)

	// ReadFrom reads one index and leaves what follows.
	stream := bytes.NewBuffer(append(slices.Clone(data), "tail"...))
	if _, err := y.ReadFrom(stream); err != nil || stream.String() != "tail" {
		t.Fatalf("ReadFrom from a stream: %v, left %q", err, stream.String())
	}
}

func TestEmptyRoundTrip(t *testing.T) {
	x := mustNew(t, 5, Config{Seed: 3})
	path := filepath.Join(t.TempDir(), "empty.hnsw")
	if err := x.Save(path, 1); err != nil {
		t.Fatal(err)
	}
	y, gen, err := Load(path)
	if err != nil || gen != 1 || y.Len() != 0 || y.Dim() != 5 {
		t.Fatalf("Load empty: %v gen %d len %d", err, gen, y.Len())
	}
	if err := y.Add("a", []float32{1, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := y.Search([]float32{1, 2, 3, 4, 5}, 1); len(rs) != 1 {
		t.Fatal("search after loading an empty index")
	}
}

func TestDeterministicBuild(t *testing.T) {
	a, _ := smallIndex(t, 200, 8, 5)
	b, _ := smallIndex(t, 200, 8, 5)
	if !bytes.Equal(encode(t, a), encode(t, b)) {
		t.Fatal("same seed and operations gave different graphs")
	}
	c := mustNew(t, 8, Config{M: 4, EfConstruction: 20, EfSearch: 12, ExactBelow: -1, Seed: 6})
	m := mixture{Dim: 8, Components: 4, Latent: 3, Spread: 1, Noise: 0.3, Seed: 5}
	base, _ := m.generate(200, 20)
	for i, v := range base {
		c.Add(idOf(i), v)
	}
	d := mustNew(t, 8, c.Config())
	d.cfg.Seed = 7
	for i, v := range base {
		d.Add(idOf(i), v)
	}
	if bytes.Equal(encode(t, c), encode(t, d)) {
		t.Fatal("different seeds gave identical graphs: the seed is not used")
	}
}

// TestSaveLoadThenAdd checks that the level generator resumes after a load:
// saving halfway through a build does not change the final graph.
func TestSaveLoadThenAdd(t *testing.T) {
	m := mixture{Dim: 8, Components: 3, Latent: 2, Spread: 1, Noise: 0.3, Seed: 11}
	base, _ := m.generate(400, 1)
	cfg := Config{M: 6, EfConstruction: 30, Seed: 99}
	whole := mustNew(t, 8, cfg)
	half := mustNew(t, 8, cfg)
	for i, v := range base {
		whole.Add(idOf(i), v)
		if i < 200 {
			half.Add(idOf(i), v)
		}
	}
	var resumed Index
	if _, err := resumed.ReadFrom(bytes.NewReader(encode(t, half))); err != nil {
		t.Fatal(err)
	}
	for i, v := range base[200:] {
		resumed.Add(idOf(200+i), v)
	}
	if !bytes.Equal(encode(t, whole), encode(t, &resumed)) {
		t.Fatal("graph built across a save and load differs from one built in one go")
	}
}

// reseal recomputes both checksums of an encoded index, so that a test can
// change a field and reach the checks behind the checksums.
func reseal(b []byte) []byte {
	b = slices.Clone(b)
	if len(b) < headerLen {
		return b
	}
	le := binary.LittleEndian
	le.PutUint32(b[80:], crc32.Checksum(b[:80], castagnoli))
	if len(b) >= headerLen+4 {
		le.PutUint32(b[len(b)-4:], crc32.Checksum(b[headerLen:len(b)-4], castagnoli))
	}
	return b
}

func TestCorruptFiles(t *testing.T) {
	x, _ := smallIndex(t, 40, 4, 2)
	data := encode(t, x)
	dir := t.TempDir()
	// load reads b from memory twice: with its size known (bytes.Reader
	// has Len) and from a plain stream of unknown size.
	load := func(b []byte) error {
		var y, z Index
		_, err := y.ReadFrom(bytes.NewReader(b))
		_, err2 := z.ReadFrom(io.MultiReader(bytes.NewReader(b)))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("with size: %v, as a stream: %v", err, err2)
		}
		return err
	}
	if err := load(data); err != nil {
		t.Fatal(err)
	}
	for n := range len(data) {
		if err := load(data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for i := range data {
		b := slices.Clone(data)
		b[i] ^= 1 << (i % 8)
		err := load(b)
		if i >= 8 && i < 12 {
			if !errors.Is(err, ErrVersion) {
				t.Fatalf("flipped a bit of version byte %d: %v", i, err)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped bit %d of byte %d: %v", i%8, i, err)
		}
	}
	// Load checks the file size against the header.
	for _, b := range [][]byte{data[:len(data)-1], append(slices.Clone(data), 0), data[:50]} {
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Load(p); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Load of %d bytes (valid file has %d): %v", len(b), len(data), err)
		}
	}

	le := binary.LittleEndian
	b := slices.Clone(data)
	le.PutUint32(b[8:], 2)
	if err := load(reseal(b)); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 2: %v", err)
	}
	// Resealed forgeries reach the consistency checks.
	forge := map[string]func(b []byte){
		"huge count":      func(b []byte) { le.PutUint32(b[20:], 1<<31) },
		"huge dim":        func(b []byte) { le.PutUint32(b[16:], 1<<28) },
		"huge body":       func(b []byte) { le.PutUint64(b[72:], 1<<62) },
		"entry past end":  func(b []byte) { le.PutUint32(b[64:], 1000) },
		"top too high":    func(b []byte) { le.PutUint32(b[68:], 200) },
		"bad M":           func(b []byte) { le.PutUint32(b[32:], 1) },
		"metric":          func(b []byte) { le.PutUint32(b[12:], 1) },
		"empty id":        func(b []byte) { le.PutUint16(b[headerLen:], 0) },
		"vector not unit": func(b []byte) { b[vectorsAt(b)+2] ^= 0x40 },
	}
	for name, f := range forge {
		b := slices.Clone(data)
		f(b)
		if err := load(reseal(b)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Load(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestReadFromFailureKeepsIndex(t *testing.T) {
	x, qs := smallIndex(t, 50, 4, 3)
	before := encode(t, x)
	if _, err := x.ReadFrom(bytes.NewReader(before[:len(before)/2])); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("ReadFrom half a file: %v", err)
	}
	if !bytes.Equal(encode(t, x), before) {
		t.Fatal("failed ReadFrom changed the index")
	}
	if _, err := x.Search(qs[0], 3); err != nil {
		t.Fatal(err)
	}
}

func TestSaveErrors(t *testing.T) {
	x, _ := smallIndex(t, 20, 4, 4)
	if err := x.Save(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), 1); err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
	// Saving over an existing file replaces it.
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := x.Save(path, 9); err != nil {
		t.Fatal(err)
	}
	if _, gen, err := Load(path); err != nil || gen != 9 {
		t.Fatalf("Load after overwrite: %v %d", err, gen)
	}
}

// vectorsAt returns the offset of the first vector in an encoded index.
func vectorsAt(b []byte) int {
	count := int(binary.LittleEndian.Uint32(b[20:]))
	at := headerLen
	for range count {
		at += 2 + int(binary.LittleEndian.Uint16(b[at:]))
	}
	return at + count
}
