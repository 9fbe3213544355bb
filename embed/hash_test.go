package embed

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vecimg/vecimg/internal/phash"
)

// digestRunner returns, for each image, three floats made of a hash of its
// input tensor: equal vectors mean (all but certainly) equal inputs.
type digestRunner struct{ size int }

func (r digestRunner) Dim() int           { return 3 }
func (r digestRunner) InputSize() int     { return r.size }
func (r digestRunner) DeviceName() string { return "digest" }
func (r digestRunner) Run(in []float32, n int, out []float32) ([]float32, error) {
	per := 3 * r.size * r.size
	out = out[:0]
	buf := make([]byte, 4)
	for i := range n {
		h := fnv.New64a()
		for _, x := range in[i*per : (i+1)*per] {
			binary.LittleEndian.PutUint32(buf, math.Float32bits(x))
			h.Write(buf)
		}
		s := h.Sum64()
		out = append(out, float32(s&0xffff)+1, float32(s>>16&0xffff)+1, float32(s>>32&0xffff)+1)
	}
	return out, nil
}

// TestIngestHashesKeepInputs: asking for hashes leaves the model's input of
// every image bit for bit what it was (the whole image is decoded then, where
// blitz otherwise skips the pixels outside its centre crop), and every image
// gets the hashes of its decoded pixels.
func TestIngestHashesKeepInputs(t *testing.T) {
	dir := t.TempDir()
	photos, _ := filepath.Glob("../testdata/images/*")
	for _, p := range photos {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644)
	}
	// A photo larger than blitz's 512-pixel crop, so that DecodeFill skips
	// pixels DecodeFillHash decodes.
	big := image.NewRGBA(image.Rect(0, 0, 900, 700))
	for y := range 700 {
		for x := range 900 {
			big.SetRGBA(x, y, color.RGBA{uint8(x * 7 / 9), uint8(y * 3 / 7), uint8((x ^ y) & 0xff), 255})
		}
	}
	f, err := os.Create(filepath.Join(dir, "big.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	jpeg.Encode(f, big, &jpeg.Options{Quality: 80})
	f.Close()

	for _, preset := range PresetNames() {
		prep, err := NewPreparer(preset, 0)
		if err != nil {
			t.Fatal(err)
		}
		runs := map[bool]*memSink{}
		for _, hashes := range []bool{false, true} {
			sink := newMemSink()
			st, err := Ingest(context.Background(), dir, digestRunner{prep.Size()}, sink, IngestOptions{Batch: 2, Workers: 2, Prep: prep, Hashes: hashes})
			if err != nil || st.Stored != len(photos)+1 || len(st.Bad) != 0 {
				t.Fatalf("%s hashes=%v: %+v, %v", preset, hashes, st, err)
			}
			runs[hashes] = sink
		}
		for id, plain := range runs[false].recs {
			hashed := runs[true].recs[id]
			for i := range plain.Vector {
				if math.Float32bits(plain.Vector[i]) != math.Float32bits(hashed.Vector[i]) {
					t.Fatalf("%s %s: the model input changed when hashing", preset, id)
				}
			}
			if plain.Hashed || !hashed.Hashed || hashed.Width != plain.Width || hashed.Height != plain.Height {
				t.Fatalf("%s %s: hashed %v/%v, size %dx%d vs %dx%d", preset, id, plain.Hashed, hashed.Hashed, hashed.Width, hashed.Height, plain.Width, plain.Height)
			}
			data, _ := os.ReadFile(hashed.Path)
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if d := phash.PDistance(hashed.Hashes, phash.FromImage(img)); d > 4 {
				t.Errorf("%s %s: hashes %d bits from the image's", preset, id, d)
			}
		}
	}
}
