package index

import (
	"bufio"
	"encoding/binary"
	"math"
	"os"
	"strconv"
	"testing"
)

// TestDumpBenchData writes the benchmark data set (the same seeded vectors,
// queries and exact top-10 that the benchmarks use) to $VECIMG_BENCH_DUMP
// so that bench/index_hnswlib.py can measure hnswlib on identical data.
// Skipped unless the variable is set. Layout, little-endian:
//
//	"VECIMGB1", u32 n, u32 queries, u32 dim, u32 k,
//	n×dim f32 base vectors (as generated, not normalised),
//	queries×dim f32 query vectors,
//	queries×k i32 exact neighbours (base row numbers, nearest first).
func TestDumpBenchData(t *testing.T) {
	path := os.Getenv("VECIMG_BENCH_DUMP")
	if path == "" {
		t.Skip("set VECIMG_BENCH_DUMP=file to write the benchmark data set")
	}
	d := loadBench(t)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	le := binary.LittleEndian
	var b []byte
	b = append(b, "VECIMGB1"...)
	for _, v := range []int{len(d.base), len(d.queries), len(d.base[0]), benchK} {
		b = le.AppendUint32(b, uint32(v))
	}
	w.Write(b)
	for _, set := range [][][]float32{d.base, d.queries} {
		for _, v := range set {
			b = b[:0]
			for _, f := range v {
				b = le.AppendUint32(b, math.Float32bits(f))
			}
			w.Write(b)
		}
	}
	for i, ids := range d.truth {
		if len(ids) != benchK {
			t.Fatalf("query %d has %d exact neighbours", i, len(ids))
		}
		b = b[:0]
		for _, id := range ids {
			row, err := strconv.Atoi(id)
			if err != nil {
				t.Fatal(err)
			}
			b = le.AppendUint32(b, uint32(row))
		}
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d base vectors, %d queries (dim %d) to %s", len(d.base), len(d.queries), len(d.base[0]), path)
}
