package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkPut measures one Put of 64 new 4096-d records, with the default
// fsync per batch and with NoSync, to show what durability costs.
func BenchmarkPut(b *testing.B) {
	const dim, batch = 4096, 64
	base := testRecords(batch, 1, dim)
	for _, noSync := range []bool{false, true} {
		b.Run(fmt.Sprintf("batch=64/dim=4096/nosync=%v", noSync), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "db"), Options{NoSync: noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.EnsureManifest(testManifest(dim)); err != nil {
				b.Fatal(err)
			}
			recs := make([]Record, batch)
			b.SetBytes(batch * dim * 4)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				for j := range recs {
					recs[j] = base[j]
					recs[j].ID = fmt.Sprintf("%08d", i*batch+j)
				}
				if err := s.Put(recs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

const scanN, scanDim = 20000, 4096

// buildScanStore writes a 20,000 × 4096 store (without fsync, to save time).
func buildScanStore(b *testing.B) string {
	path := filepath.Join(b.TempDir(), "db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.EnsureManifest(testManifest(scanDim)); err != nil {
		b.Fatal(err)
	}
	base := testRecords(256, 1, scanDim)
	for i := 0; i < scanN; i += len(base) {
		recs := make([]Record, min(len(base), scanN-i))
		for j := range recs {
			recs[j] = base[j]
			recs[j].ID = fmt.Sprintf("%08d", i+j)
		}
		if err := s.Put(recs); err != nil {
			b.Fatal(err)
		}
	}
	return path
}

// BenchmarkScan measures a full Scan and ScanVectors over 20,000 records of
// 4096 dimensions (313 MiB of vectors), read-only, with a warm page cache.
func BenchmarkScan(b *testing.B) {
	path := buildScanStore(b)
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var sink float32
	b.Run("Scan/n=20000/dim=4096", func(b *testing.B) {
		b.SetBytes(scanN * scanDim * 4)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := s.Scan(ctx, func(r *Record) error { n++; sink += r.Vector[0]; return nil })
			if err != nil || n != scanN {
				b.Fatalf("scanned %d: %v", n, err)
			}
		}
	})
	b.Run("ScanVectors/n=20000/dim=4096", func(b *testing.B) {
		b.SetBytes(scanN * scanDim * 4)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := s.ScanVectors(ctx, func(_ string, v []float32) error { n++; sink += v[0]; return nil })
			if err != nil || n != scanN {
				b.Fatalf("scanned %d: %v", n, err)
			}
		}
	})
	_ = sink
}
