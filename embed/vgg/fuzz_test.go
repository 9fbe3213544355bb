package vgg

import (
	"bytes"
	"runtime"
	"testing"
)

// FuzzReadPTH feeds damaged .pth files to the reader: it must return an
// error or valid weights, never panic, and never allocate much more than the
// input's size whatever its headers claim.
//
//	go test -run '^$' -fuzz FuzzReadPTH -fuzztime 60s ./embed/vgg/
func FuzzReadPTH(f *testing.F) {
	for _, name := range []string{"vgg16_w32_legacy.pth", "vgg16_w32_zip.pth"} {
		b := readFixture(f, name)
		f.Add(b)
		f.Add(b[:5200]) // the pickles without most storages
	}
	f.Add([]byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02M\xe9\x03.\x80\x02}.\x80\x02}."))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w, err := ReadPTH(bytes.NewReader(data), int64(len(data)), "fuzz.pth")
		runtime.ReadMemStats(&after)
		if err == nil {
			if verr := w.Validate(); verr != nil {
				t.Fatalf("ReadPTH returned weights that do not validate: %v", verr)
			}
		}
		// Weights are at most 4 bytes per element of the file (a half or
		// bfloat16 storage doubles); the rest is small bookkeeping.
		if n := after.TotalAlloc - before.TotalAlloc; n > 8*uint64(len(data))+32<<20 {
			t.Fatalf("allocated %d bytes for a %d-byte input", n, len(data))
		}
	})
}
