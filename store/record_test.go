package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"testing"
)

func nan() float64 { return math.NaN() }
func inf() float64 { return math.Inf(1) }

func TestDataEncodingRoundTrip(t *testing.T) {
	r := testRecord("sub/123", 1, 7)
	sha, err := parseSHA(r.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	enc := appendData(nil, &r, sha)
	// format + path + sha + sizes + time + dim + vector: compact, no field names.
	uv := func(v uint64) int { return len(binary.AppendUvarint(nil, v)) }
	want := 1 + uv(uint64(len(r.Path))) + len(r.Path) + 32 + uv(uint64(r.Width)) + uv(uint64(r.Height)) +
		len(binary.AppendVarint(nil, r.Added.UnixNano())) + uv(7) + 7*4 + crcLen
	if len(enc) != want {
		t.Errorf("encoding is %d bytes, want %d", len(enc), want)
	}
	h, err := decodeData(enc)
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	h.fill(&got)
	got.ID = r.ID
	sameRecord(t, got, r)

	for cut := range len(enc) {
		if _, err := decodeData(enc[:cut]); err == nil {
			t.Errorf("decoding the first %d of %d bytes succeeded", cut, len(enc))
		}
	}
	if _, err := decodeData(append(slices.Clone(enc), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	bad := slices.Clone(enc)
	bad[0] = 3
	if _, err := decodeData(bad); err == nil {
		t.Error("unknown format accepted")
	}
	if !h.sealed {
		t.Error("a format-2 value decoded as unsealed")
	}
	// Every flipped bit is caught, by the checksum or the format byte.
	for i := range len(enc) * 8 {
		bad := slices.Clone(enc)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := decodeData(bad); err == nil {
			t.Fatalf("bit %d of byte %d flipped: the value still decodes", i%8, i/8)
		}
	}
	// The format of schemas 1 and 2 still decodes, unverified.
	old := legacyData(&r, sha)
	h, err = decodeData(old)
	if err != nil || h.sealed {
		t.Fatalf("legacy value: sealed %v, %v", h.sealed, err)
	}
	var back Record
	h.fill(&back)
	back.ID = r.ID
	sameRecord(t, back, r)
}

func TestChecksumError(t *testing.T) {
	r := testRecord("a", 1, 4)
	sha, _ := parseSHA(r.SHA256)
	enc := appendData(nil, &r, sha)
	enc[len(enc)/2] ^= 0x10
	_, err := decodeData(enc)
	ce := corruptValue(recordKey("a", suffixData), "a", err)
	if !errors.Is(ce, ErrChecksum) || !errors.Is(ce, ErrCorrupt) || ce.ID != "a" || !ce.Checksum {
		t.Errorf("flipped byte: %v (checksum %v)", ce, ce.Checksum)
	}
	ce = corruptValue(recordKey("a", suffixData), "a", errShort)
	if errors.Is(ce, ErrChecksum) || !errors.Is(ce, ErrCorrupt) {
		t.Errorf("short value: %v matches ErrChecksum", ce)
	}
}

func TestMetaEncodingRoundTrip(t *testing.T) {
	for _, m := range []Meta{
		{Label: NoLabel},
		{Label: math.MaxInt32, Distance: 3.25},
		{Label: 0, Distance: 1e-7, Extra: map[string]string{"b": "2", "a": "", "": "x"}},
		{Label: 3, Hashes: Hashes{Present: true, PHash: 0x8000000000000001, DHash: 42, PMirror: math.MaxUint64}},
		{Label: NoLabel, Hashes: Hashes{Present: true}, Extra: map[string]string{"k": "v"}},
		{Label: 4, Hashes: Hashes{Present: true, PHash: 5, DHash: 6, PMirror: 7, PCentre: 0xfedcba9876543210, HasCentre: true}},
		{Label: 4, Hashes: Hashes{Present: true, PHash: 5, HasCentre: true}},
	} {
		enc := appendMeta(nil, &m)
		var got Meta
		if err := decodeMeta(enc, &got); err != nil {
			t.Fatal(err)
		}
		if got.Label != m.Label || got.Distance != m.Distance || !maps.Equal(got.Extra, m.Extra) || got.Hashes != m.Hashes {
			t.Errorf("meta %+v decoded as %+v", m, got)
		}
		if !bytes.Equal(appendMeta(nil, &got), enc) {
			t.Error("meta encoding is not deterministic")
		}
		for cut := range len(enc) {
			if err := decodeMeta(enc[:cut], &got); err == nil {
				t.Errorf("decoding the first %d of %d meta bytes succeeded", cut, len(enc))
			}
		}
		for i := range len(enc) * 8 {
			bad := slices.Clone(enc)
			bad[i/8] ^= 1 << (i % 8)
			if err := decodeMeta(bad, &got); err == nil {
				t.Fatalf("meta %+v: bit %d of byte %d flipped: the value still decodes", m, i%8, i/8)
			}
		}
		// The format of schemas 1 and 2: same fields, no hashes.
		if err := decodeMeta(legacyMeta(&m), &got); err != nil || got.Label != m.Label || got.Distance != m.Distance || !maps.Equal(got.Extra, m.Extra) || got.Hashes.Present {
			t.Errorf("legacy meta %+v decoded as %+v, %v", m, got, err)
		}
	}
}

func FuzzDecodeData(f *testing.F) {
	for i, dim := range []int{1, 3, 16} {
		r := testRecord("seed", i, dim)
		sha, _ := parseSHA(r.SHA256)
		f.Add(appendData(nil, &r, sha))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	r := testRecord("old", 1, 3)
	sha, _ := parseSHA(r.SHA256)
	f.Add(legacyData(&r, sha))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeData(b)
		if err != nil {
			return
		}
		// Whatever decodes must survive a re-encoding unchanged.
		var r Record
		h.fill(&r)
		if len(r.Vector) != h.dim {
			t.Fatalf("vector of %d values for dim %d", len(r.Vector), h.dim)
		}
		h2, err := decodeData(appendData(nil, &r, h.sha))
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if !bytes.Equal(h2.path, h.path) || h2.sha != h.sha || h2.width != h.width ||
			h2.height != h.height || h2.added != h.added || !bytes.Equal(h2.vec, h.vec) {
			t.Fatalf("re-encoding changed the record: %+v vs %+v", h, h2)
		}
	})
}

func FuzzDecodeMeta(f *testing.F) {
	for _, m := range []Meta{{Label: NoLabel}, {Label: 4, Distance: 2, Extra: map[string]string{"k": "v"}}} {
		f.Add(appendMeta(nil, &m))
	}
	f.Add([]byte{1, 0x80})
	f.Add(legacyMeta(&Meta{Label: 2, Extra: map[string]string{"a": "b"}}))
	f.Add(appendMeta(nil, &Meta{Hashes: Hashes{Present: true, PHash: 1, DHash: 2, PMirror: 3}}))
	f.Add(appendMeta(nil, &Meta{Hashes: Hashes{Present: true, PHash: 1, DHash: 2, PMirror: 3, PCentre: 4, HasCentre: true}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Meta
		if err := decodeMeta(b, &m); err != nil {
			return
		}
		var m2 Meta
		if err := decodeMeta(appendMeta(nil, &m), &m2); err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if m2.Label != m.Label || math.Float32bits(m2.Distance) != math.Float32bits(m.Distance) || !maps.Equal(m2.Extra, m.Extra) || m2.Hashes != m.Hashes {
			t.Fatalf("re-encoding changed %+v into %+v", m, m2)
		}
	})
}

func TestKeys(t *testing.T) {
	for _, id := range []string{"a", "sub/123", "é/ü"} {
		for _, suf := range []byte{suffixData, suffixMeta} {
			got, s, ok := parseRecordKey(recordKey(id, suf))
			if !ok || string(got) != id || s != suf {
				t.Errorf("record key of %q/%c parsed as %q %c %v", id, suf, got, s, ok)
			}
		}
		sha := [32]byte{0, 1, 2, 0}
		gs, gid, ok := parseHashKey(hashKey(sha, id))
		if !ok || gs != sha || string(gid) != id {
			t.Errorf("hash key of %q parsed as %x %q %v", id, gs, gid, ok)
		}
		gp, gid, ok := parsePathKey(pathKey("/x/y.jpg", id))
		if !ok || string(gp) != "/x/y.jpg" || string(gid) != id {
			t.Errorf("path key of %q parsed as %q %q %v", id, gp, gid, ok)
		}
	}
	for _, k := range []string{"r/", "r/a", "r/a\x00x", "r/\x00d", "r/a\x00b\x00d", "h/short", "p/noid\x00", "p/\x00id"} {
		_, _, ok1 := parseRecordKey([]byte(k))
		_, _, ok2 := parseHashKey([]byte(k))
		_, _, ok3 := parsePathKey([]byte(k))
		if ok1 || ok2 || ok3 {
			t.Errorf("malformed key %q parsed", k)
		}
	}
	// Record keys sort like their ids.
	ids := []string{"a", "a\x01", "a/b", "a0", "b"}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = string(recordKey(id, suffixMeta))
	}
	if !slices.IsSorted(keys) || !slices.IsSorted(ids) {
		t.Error("record key order differs from id order")
	}
}

// TestMetaWithoutCentre: a meta value written before the centre pHash
// existed (flags bit 0 only) decodes with HasCentre false, and a value that
// says the centre follows without the hashes is refused.
func TestMetaWithoutCentre(t *testing.T) {
	old := appendMeta(nil, &Meta{Label: 2, Hashes: Hashes{Present: true, PHash: 1, DHash: 2, PMirror: 3}})
	var got Meta
	if err := decodeMeta(old, &got); err != nil || !got.Hashes.Present || got.Hashes.HasCentre || got.Hashes.PCentre != 0 || got.Hashes.PMirror != 3 {
		t.Fatalf("hashes without centre decoded as %+v, %v", got.Hashes, err)
	}
	// Flags byte 2 alone (centre without hashes): rebuild a sealed value.
	v := appendMeta(nil, &Meta{Label: 2})
	body := slices.Clone(v[:len(v)-crcLen])
	body[len(body)-1] = flagCentre
	body = binary.LittleEndian.AppendUint64(body, 9)
	if err := decodeMeta(seal(body, 0), &got); err == nil {
		t.Errorf("a centre pHash without the hashes decoded: %+v", got.Hashes)
	}
	if err := (Hashes{PCentre: 1}).check(); err == nil {
		t.Error("a centre pHash with HasCentre false passed check")
	}
}
