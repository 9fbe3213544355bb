package parquetio

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkWriteRead writes and scans 2,048 rows of 4,096 float32s; the
// MB/s it reports are of raw vector bytes.
func BenchmarkWriteRead(b *testing.B) {
	const n, dim = 2048, 4096
	rng := rand.New(rand.NewPCG(1, 2))
	rows := testRows(64, dim)
	for i := range rows {
		for j := range rows[i].Vector {
			rows[i].Vector[j] = float32(rng.NormFloat64())
		}
	}
	dir := b.TempDir()
	b.Run("write", func(b *testing.B) {
		b.SetBytes(n * dim * 4)
		for range b.N {
			w, err := Create(dir, dim, WriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < n; i += len(rows) {
				if err := w.Write(rows); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("write16", func(b *testing.B) {
		b.SetBytes(n * dim * 4)
		for range b.N {
			w, err := Create(b.TempDir(), dim, WriterOptions{VectorType: Float16})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < n; i += len(rows) {
				if err := w.Write(rows); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(n * dim * 4)
		for range b.N {
			d, err := Open(dir, ReadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Scan(context.Background(), func(*Row) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
