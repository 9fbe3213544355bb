package parquetio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func testRows(n, dim int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		v := make([]float32, dim)
		for j := range v {
			// values whose low mantissa bits matter, so a lossy path shows
			v[j] = float32(math.Sin(float64(i*dim+j)+0.5)) * 3.0000001
		}
		label := int32(i % 3)
		if i%4 == 0 {
			label = -1
		}
		rows[i] = Row{ID: fmt.Sprintf("img/%04d", i), Path: fmt.Sprintf("/data/img/%04d.jpg", i),
			SHA256: strings.Repeat(fmt.Sprintf("%x", i%16), 64), Width: int32(100 + i), Height: int32(50 + i),
			Label: label, Distance: float32(i) / 7, Vector: v}
	}
	return rows
}

func readAll(t *testing.T, path string, o ReadOptions) (*Dataset, []Row) {
	t.Helper()
	d, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []Row
	err = d.Scan(context.Background(), func(r *Row) error {
		c := *r
		c.Vector = append([]float32(nil), r.Vector...)
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, got
}

func writeAll(t *testing.T, dir string, rows []Row, dim int, o WriterOptions) Success {
	t.Helper()
	w, err := Create(dir, dim, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(rows); i += 37 { // batches that do not align with files
		if err := w.Write(rows[i:min(i+37, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripFloat32(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	rows := testRows(250, 7)
	man := `{"model":"m1","preset":"blitz","dim":7}`
	s := writeAll(t, dir, rows, 7, WriterOptions{RowsPerFile: 100, RowsPerGroup: 30, Metadata: map[string]string{MetaManifest: man}})
	if len(s.Files) != 3 || s.Files[0].Rows != 100 || s.Files[2].Rows != 50 || s.Rows != 250 {
		t.Fatalf("success manifest: %+v", s)
	}
	b, err := os.ReadFile(filepath.Join(dir, SuccessFile))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk Success
	var compact bytes.Buffer
	if err := json.Unmarshal(b, &onDisk); err == nil {
		json.Compact(&compact, onDisk.Manifest)
	}
	if onDisk.Rows != 250 || compact.String() != man {
		t.Fatalf("_SUCCESS: %v %s", err, b)
	}
	d, got := readAll(t, dir, ReadOptions{})
	if !d.Vecimg || d.Dim != 7 || d.Rows != 250 || string(d.Manifest) != man || len(d.Files) != 3 {
		t.Fatalf("dataset: %+v", d)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows back, want %d", len(got), len(rows))
	}
	for i := range rows {
		w, g := rows[i], got[i]
		if g.ID != w.ID || g.Path != w.Path || g.SHA256 != w.SHA256 || g.Width != w.Width || g.Height != w.Height ||
			g.Label != w.Label || g.Distance != w.Distance {
			t.Fatalf("row %d: got %+v, want %+v", i, g, w)
		}
		for j := range w.Vector {
			if math.Float32bits(g.Vector[j]) != math.Float32bits(w.Vector[j]) {
				t.Fatalf("row %d value %d: %v, want %v", i, j, g.Vector[j], w.Vector[j])
			}
		}
	}
	// A single file reads on its own too, and its label column is null for
	// unlabelled rows (checked through the generic reader).
	_, one := readAll(t, filepath.Join(dir, PartName(1)), ReadOptions{})
	if len(one) != 100 || one[0].ID != rows[100].ID {
		t.Fatalf("part 1: %d rows, first %q", len(one), one[0].ID)
	}
	f, _ := os.Open(filepath.Join(dir, PartName(0)))
	defer f.Close()
	gr := parquet.NewGenericReader[row32](f)
	buf := make([]row32, 1)
	if _, err := gr.Read(buf); err != nil && n(buf) == 0 {
		t.Fatal(err)
	}
	if buf[0].Label != nil {
		t.Fatalf("row 0 (unlabelled) has label %v, want null", *buf[0].Label)
	}
}

func n(b []row32) int { return len(b) }

func TestRoundTripFloat16(t *testing.T) {
	dir := t.TempDir()
	rows := testRows(40, 5)
	writeAll(t, dir, rows, 5, WriterOptions{VectorType: Float16})
	d, got := readAll(t, dir, ReadOptions{})
	if d.Metadata[MetaVectorType] != "float16" || len(got) != 40 {
		t.Fatalf("metadata %v, %d rows", d.Metadata, len(got))
	}
	for i := range rows {
		for j, w := range rows[i].Vector {
			if g := got[i].Vector[j]; math.Abs(float64(g-w)) > 2e-3*math.Abs(float64(w))+1e-4 || got[i].Label != rows[i].Label {
				t.Fatalf("row %d value %d: %v, want ≈%v", i, j, g, w)
			}
		}
	}
	w, _ := Create(t.TempDir(), 2, WriterOptions{VectorType: Float16})
	err := w.Write([]Row{{ID: "big", Vector: []float32{1, 1e6}}})
	var fe *Float16RangeError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFloat16Range) || fe.ID != "big" || fe.Index != 1 || !strings.Contains(err.Error(), "float16") {
		t.Fatalf("value beyond float16 range: %v", err)
	}
}

func TestEmptyExport(t *testing.T) {
	dir := t.TempDir()
	s := writeAll(t, dir, nil, 4, WriterOptions{})
	if len(s.Files) != 1 || s.Rows != 0 {
		t.Fatalf("%+v", s)
	}
	d, got := readAll(t, dir, ReadOptions{})
	if len(got) != 0 || d.Dim != 4 {
		t.Fatalf("%d rows, dim %d", len(got), d.Dim)
	}
}

func TestReexportReplacesOldParts(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, testRows(30, 3), 3, WriterOptions{RowsPerFile: 10})
	writeAll(t, dir, testRows(12, 3), 3, WriterOptions{RowsPerFile: 10})
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "_SUCCESS part-00000.parquet part-00001.parquet" {
		t.Fatalf("folder after re-export: %v", names)
	}
	_, got := readAll(t, dir, ReadOptions{})
	if len(got) != 12 {
		t.Fatalf("%d rows", len(got))
	}
}

func TestOutDirRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	if _, err := Create(dir, 3, WriterOptions{}); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("folder with other files: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("refused export changed the folder: %d entries", len(ents))
	}
	f := filepath.Join(dir, "notes.txt")
	if _, err := Create(f, 3, WriterOptions{}); err == nil {
		t.Fatal("a file as --out was accepted")
	}
}

func TestUnfinishedExportRefused(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, testRows(5, 3), 3, WriterOptions{})
	os.Remove(filepath.Join(dir, SuccessFile))
	if _, err := Open(dir, ReadOptions{}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("export without _SUCCESS: %v", err)
	}
}

// foreign is what another tool might write: integer ids, float64
// embeddings with nullable elements, extra columns.
type foreign struct {
	Key     int64      `parquet:"key"`
	Caption string     `parquet:"caption"`
	Emb     []*float64 `parquet:"emb,list"`
}

func writeForeign(t *testing.T, path string, rows []foreign) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[foreign](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func fp(vs ...float64) []*float64 {
	out := make([]*float64, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

func TestForeignFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "emb.parquet")
	writeForeign(t, p, []foreign{{Key: 7, Caption: "a", Emb: fp(1, 2.5, -3)}, {Key: 9, Emb: fp(0.1, 0, 0)}})
	d, got := readAll(t, dir, ReadOptions{IDColumn: "key", VectorColumn: "emb"})
	if d.Vecimg || d.Dim != 3 || len(got) != 2 || got[0].ID != "7" || got[1].ID != "9" || got[0].Vector[1] != 2.5 ||
		got[1].Vector[0] != float32(0.1) || got[0].Label != -1 {
		t.Fatalf("dataset %+v rows %+v", d, got)
	}
	_, err := Open(p, ReadOptions{})
	var ce *ColumnError
	if !errors.Is(err, ErrBadInput) || !errors.As(err, &ce) || ce.Role != "id" || ce.Column != "id" || !slices.Contains(ce.Columns, "key") ||
		strings.Contains(err.Error(), "--") {
		t.Fatalf("default column names on a foreign file: %v", err)
	}
}

func scanErr(t *testing.T, path string, o ReadOptions) error {
	t.Helper()
	d, err := Open(path, o)
	if err != nil {
		return err
	}
	return d.Scan(context.Background(), func(*Row) error { return nil })
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	o := ReadOptions{IDColumn: "key", VectorColumn: "emb"}
	cases := []struct {
		name string
		rows []foreign
		want string
	}{
		{"ragged", []foreign{{Key: 1, Emb: fp(1, 2, 3)}, {Key: 2, Emb: fp(1, 2)}}, "ragged"},
		{"nan", []foreign{{Key: 1, Emb: fp(1, math.NaN(), 3)}}, "NaN"},
		{"inf", []foreign{{Key: 1, Emb: fp(1, math.Inf(1), 3)}}, "Inf"},
		{"toobig", []foreign{{Key: 1, Emb: fp(1, 1e300, 3)}}, "Inf"},
		{"nullelem", []foreign{{Key: 1, Emb: []*float64{fp(1)[0], nil}}}, "null"},
		{"empty", []foreign{{Key: 1, Emb: fp(1)}, {Key: 2, Emb: nil}}, "null, empty"},
		{"zero", []foreign{{Key: 1, Emb: fp(0, 0)}}, "all zeros"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, c.name+".parquet")
		writeForeign(t, p, c.rows)
		err := scanErr(t, p, o)
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v (want %q and the file name)", c.name, err, c.want)
		}
	}

	// Wrong column types.
	type wrongVec struct {
		ID     string `parquet:"id"`
		Vector string `parquet:"vector"`
	}
	type wrongElem struct {
		ID     string   `parquet:"id"`
		Vector []string `parquet:"vector,list"`
	}
	type wrongID struct {
		ID     float64   `parquet:"id"`
		Vector []float32 `parquet:"vector,list"`
	}
	type nested struct {
		ID     string      `parquet:"id"`
		Vector [][]float32 `parquet:"vector,list"`
	}
	write := func(name string, write func(f *os.File) error) string {
		p := filepath.Join(dir, name+".parquet")
		f, _ := os.Create(p)
		defer f.Close()
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		p, want string
	}{
		{write("wrongvec", func(f *os.File) error { return parquet.Write(f, []wrongVec{{"a", "x"}}) }), "single"},
		{write("wrongelem", func(f *os.File) error { return parquet.Write(f, []wrongElem{{"a", []string{"x"}}}) }), "list of"},
		{write("wrongid", func(f *os.File) error { return parquet.Write(f, []wrongID{{1.5, []float32{1}}}) }), "id column"},
		{write("nested", func(f *os.File) error { return parquet.Write(f, []nested{{"a", [][]float32{{1}}}}) }), "nested"},
	} {
		if err := scanErr(t, c.p, ReadOptions{}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want %q)", filepath.Base(c.p), err, c.want)
		}
	}

	// Truncated and non-Parquet files.
	good := filepath.Join(t.TempDir(), "good")
	writeAll(t, good, testRows(20, 4), 4, WriterOptions{})
	b, _ := os.ReadFile(filepath.Join(good, PartName(0)))
	for _, cut := range []int{len(b) - 1, len(b) / 2, 10, 0} {
		p := filepath.Join(dir, "cut.parquet")
		os.WriteFile(p, b[:cut], 0o644)
		if err := scanErr(t, p, ReadOptions{}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "not a complete Parquet file") {
			t.Errorf("cut at %d of %d: %v", cut, len(b), err)
		}
	}
	// A file whose data pages are damaged but whose footer is intact.
	dmg := append([]byte(nil), b...)
	for i := 200; i < 400 && i < len(dmg)/2; i++ {
		dmg[i] ^= 0x5a
	}
	p := filepath.Join(dir, "damaged.parquet")
	os.WriteFile(p, dmg, 0o644)
	if err := scanErr(t, p, ReadOptions{}); err == nil {
		t.Error("damaged pages read without error")
	}
	// The export's rows disagree with its _SUCCESS.
	os.WriteFile(filepath.Join(good, PartName(0)), b, 0o644)
	s, _ := os.ReadFile(filepath.Join(good, SuccessFile))
	os.WriteFile(filepath.Join(good, SuccessFile), []byte(strings.ReplaceAll(string(s), `"rows": 20`, `"rows": 21`)), 0o644)
	if err := scanErr(t, good, ReadOptions{}); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "says 21") {
		t.Errorf("row count mismatch: %v", err)
	}
}

func TestScanStopsOnCallbackError(t *testing.T) {
	dir := t.TempDir()
	writeAll(t, dir, testRows(10, 2), 2, WriterOptions{})
	d, err := Open(dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	err = d.Scan(context.Background(), func(*Row) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

// TestDictionaryEncodedVectors reads vectors whose pages are dictionary
// encoded (as pyarrow writes by default), through the generic value path.
func TestDictionaryEncodedVectors(t *testing.T) {
	type dictRow struct {
		ID     string    `parquet:"id"`
		Vector []float32 `parquet:"vector,list" parquet-element:",dict"`
	}
	p := filepath.Join(t.TempDir(), "dict.parquet")
	f, _ := os.Create(p)
	rows := []dictRow{{"a", []float32{1, 2, 1}}, {"b", []float32{2, 2, 3}}, {"c", []float32{3, 1, 1}}}
	if err := parquet.Write(f, rows); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pf, _ := os.Open(p)
	fi, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	enc := file.Metadata().RowGroups[0].Columns[1].MetaData.Encoding
	pf.Close()
	dict := false
	for _, e := range enc {
		dict = dict || e.String() == "RLE_DICTIONARY" || e.String() == "PLAIN_DICTIONARY"
	}
	if !dict {
		t.Fatalf("fixture is not dictionary encoded: %v", enc)
	}
	_, got := readAll(t, p, ReadOptions{})
	if len(got) != 3 || got[1].ID != "b" || got[1].Vector[2] != 3 || got[2].Vector[0] != 3 {
		t.Fatalf("%+v", got)
	}
}
