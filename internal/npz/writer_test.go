package npz

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestWriterMisuse(t *testing.T) {
	z := NewWriter(io.Discard)
	m, err := z.Float32s("v", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteRow([]float32{1, 2}); !errors.Is(err, ErrMisuse) {
		t.Errorf("short row = %v", err)
	}
	// The first error sticks.
	if err := z.Close(); !errors.Is(err, ErrMisuse) {
		t.Errorf("Close after an error = %v", err)
	}

	z = NewWriter(io.Discard)
	m, _ = z.Float32s("v", 2, 1)
	m.WriteRow([]float32{1})
	if err := z.Int32s("l", nil); !errors.Is(err, ErrMisuse) || !strings.Contains(err.Error(), "1 of its 2 rows") {
		t.Errorf("next array before the matrix is full = %v", err)
	}

	z = NewWriter(io.Discard)
	z.Int32s("a", []int32{1})
	if err := z.Int32s("a", nil); !errors.Is(err, ErrMisuse) {
		t.Errorf("duplicate name = %v", err)
	}
	z = NewWriter(io.Discard)
	m, _ = z.Float32s("v", 1, 1)
	m.WriteRow([]float32{1})
	if err := m.WriteRow([]float32{1}); !errors.Is(err, ErrMisuse) {
		t.Errorf("extra row = %v", err)
	}
}

// TestWriterStreams writes a matrix far larger than the writer's own buffers
// and checks the bytes go out as rows arrive, not at Close.
func TestWriterStreams(t *testing.T) {
	var out countingWriter
	z := NewWriter(&out)
	const rows, cols = 2000, 1024
	m, err := z.Float32s("vectors", rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, cols)
	for i := range rows {
		row[0] = float32(i)
		if err := m.WriteRow(row); err != nil {
			t.Fatal(err)
		}
	}
	if out.n < (rows-50)*cols*4 {
		t.Errorf("only %d of %d bytes written before Close: rows are buffered", out.n, rows*cols*4)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
