package npz

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func TestNpyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.npy")
	want := []float32{1, -2.5, 3, 4e-7, 5, 6}
	if err := WriteNpy(path, want, 3, 2); err != nil {
		t.Fatal(err)
	}
	m, err := OpenMatrix(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 3 || m.D != 2 {
		t.Fatalf("shape %d×%d", m.N, m.D)
	}
	var got []float32
	if err := m.Rows(func(i int, v []float32) error { got = append(got, v...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := m.Rows(func(int, []float32) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}

	labels := filepath.Join(dir, "l.npy")
	if err := WriteNpy(labels, []int32{0, 1, 1}, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenMatrix(labels); err == nil {
		t.Error("an int32 vector opened as a float32 matrix")
	}
	if err := WriteNpy(path, []float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("3 values written for shape (2, 2)")
	}
	if err := WriteNpy(path, []float64{1}, 1); err == nil {
		t.Error("float64 written")
	}
}
