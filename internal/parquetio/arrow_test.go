package parquetio

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	apq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/x448/float16"
)

// arrowRead opens one file with arrow-go's Parquet reader and pqarrow (a
// reader independent of parquet-go) and returns its Arrow schema and table.
func arrowRead(t *testing.T, path string) (*arrow.Schema, arrow.Table, *file.Reader) {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pf.Close() })
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 3}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := fr.Schema()
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatalf("pqarrow cannot read %s: %v", path, err)
	}
	t.Cleanup(tbl.Release)
	return sc, tbl, pf
}

// TestArrowReadsFixedSizeList: arrow-go reads the vector column of an export
// as FixedSizeList<float32, D> (<float16, D> with Float16), the other
// columns with their types, and the values bit for bit.
func TestArrowReadsFixedSizeList(t *testing.T) {
	for _, c := range []struct {
		vt                        VectorType
		dim, n, perFile, perGroup int
	}{
		{Float32, 7, 25, 10, 4},
		{Float16, 7, 25, 10, 4},
		{Float32, 1024, 600, 600, 600}, // a column chunk of several pages
		{Float16, 1024, 300, 300, 300},
	} {
		vt, dim := c.vt, c.dim
		t.Run(fmt.Sprintf("%s-%d", vt, dim), func(t *testing.T) {
			dir := t.TempDir()
			rows := testRows(c.n, dim)
			s := writeAll(t, dir, rows, dim, WriterOptions{VectorType: vt, RowsPerFile: c.perFile, RowsPerGroup: c.perGroup,
				Metadata: map[string]string{MetaManifest: `{"dim":7}`}})
			next := 0 // rows[next] is the next row expected
			for fi, fe := range s.Files {
				sc, tbl, pf := arrowRead(t, filepath.Join(dir, fe.Name))
				if fi == 0 && dim == 7 {
					t.Logf("Arrow schema (%s) as arrow-go's pqarrow reads it:\n%s", vt, sc)
				}
				kv := pf.MetaData().KeyValueMetadata()
				if v := kv.FindValue(MetaManifest); v == nil || *v != `{"dim":7}` {
					t.Fatalf("store manifest missing from the key-value metadata: %v", kv)
				}
				want := map[string]struct {
					id       arrow.Type
					nullable bool
				}{
					ColID: {arrow.STRING, false}, ColPath: {arrow.STRING, false}, ColSHA256: {arrow.STRING, false},
					ColWidth: {arrow.INT32, false}, ColHeight: {arrow.INT32, false}, ColLabel: {arrow.INT32, true},
					ColDistance: {arrow.FLOAT32, false}, ColVector: {arrow.FIXED_SIZE_LIST, false},
				}
				if sc.NumFields() != len(want) {
					t.Fatalf("%d fields: %s", sc.NumFields(), sc)
				}
				for _, f := range sc.Fields() {
					w, ok := want[f.Name]
					if !ok || f.Type.ID() != w.id || f.Nullable != w.nullable {
						t.Fatalf("field %s: %s nullable=%v, want %s nullable=%v", f.Name, f.Type, f.Nullable, w.id, w.nullable)
					}
				}
				vf, _ := sc.FieldsByName(ColVector)
				fsl := vf[0].Type.(*arrow.FixedSizeListType)
				wantElem := arrow.FLOAT32
				if vt == Float16 {
					wantElem = arrow.FLOAT16
				}
				if int(fsl.Len()) != dim || fsl.Elem().ID() != wantElem || fsl.ElemField().Nullable {
					t.Fatalf("vector is %s, want fixed_size_list<element: %s not null>[%d]", fsl, wantElem, dim)
				}

				col := func(name string) *arrow.Chunked {
					idx := sc.FieldIndices(name)
					return tbl.Column(idx[0]).Data()
				}
				if tbl.NumRows() != fe.Rows {
					t.Fatalf("%s: pqarrow reads %d rows, _SUCCESS says %d", fe.Name, tbl.NumRows(), fe.Rows)
				}
				// The table's chunks: walk id, label and vector together.
				ids, labels, vecs := col(ColID).Chunks(), col(ColLabel).Chunks(), col(ColVector).Chunks()
				if len(ids) != len(vecs) || len(labels) != len(vecs) {
					t.Fatalf("chunks: %d ids, %d labels, %d vectors", len(ids), len(labels), len(vecs))
				}
				for c := range vecs {
					ia, la, va := ids[c].(*array.String), labels[c].(*array.Int32), vecs[c].(*array.FixedSizeList)
					for i := 0; i < va.Len(); i++ {
						r := rows[next]
						next++
						if ia.Value(i) != r.ID {
							t.Fatalf("row %s: id %q", r.ID, ia.Value(i))
						}
						if (r.Label < 0) != la.IsNull(i) || (r.Label >= 0 && la.Value(i) != r.Label) {
							t.Fatalf("row %s: label null=%v %d, want %d", r.ID, la.IsNull(i), la.Value(i), r.Label)
						}
						if va.IsNull(i) {
							t.Fatalf("row %s: null vector", r.ID)
						}
						start, end := va.ValueOffsets(i)
						if int(end-start) != dim {
							t.Fatalf("row %s: %d values", r.ID, end-start)
						}
						for j := range dim {
							k := int(start) + j
							switch vals := va.ListValues().(type) {
							case *array.Float32:
								if math.Float32bits(vals.Value(k)) != math.Float32bits(r.Vector[j]) {
									t.Fatalf("row %s value %d: %v, want %v", r.ID, j, vals.Value(k), r.Vector[j])
								}
							case *array.Float16:
								if got, w := vals.Value(k).Uint16(), float16.Fromfloat32(r.Vector[j]).Bits(); got != w {
									t.Fatalf("row %s value %d: float16 bits %04x, want %04x", r.ID, j, got, w)
								}
							default:
								t.Fatalf("vector values are %T", vals)
							}
						}
					}
				}
			}
			if next != len(rows) {
				t.Fatalf("pqarrow read %d rows of %d", next, len(rows))
			}
		})
	}
}

// pqarrowFile writes an empty table of schema sc with arrow-go's own writer,
// storing the Arrow schema as it does.
func pqarrowFile(t *testing.T, sc *arrow.Schema) *file.Reader {
	t.Helper()
	var b bytes.Buffer
	w, err := pqarrow.NewFileWriter(sc, &b, apq.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

var fieldIDs = regexp.MustCompile(` field_id=-?\d+`)

// printSchema renders a Parquet schema without field ids and without the
// root's name (row32, row16 or schema), which readers ignore.
func printSchema(n schema.Node) string {
	var b strings.Builder
	schema.PrintSchema(n, &b, 2)
	_, rest, _ := strings.Cut(b.String(), "{")
	return fieldIDs.ReplaceAllString(rest, "")
}

// TestArrowSchemaAsPqarrowWritesIt: the ARROW:schema value of an export is
// byte for byte what pqarrow stores for the same Arrow schema, and the
// export's Parquet schema (names, repetitions, types, LIST layout) is the
// one pqarrow writes for it.
func TestArrowSchemaAsPqarrowWritesIt(t *testing.T) {
	for _, vt := range []VectorType{Float32, Float16} {
		dir := t.TempDir()
		writeAll(t, dir, testRows(3, 5), 5, WriterOptions{VectorType: vt})
		ours, err := file.OpenParquetFile(filepath.Join(dir, PartName(0)), false)
		if err != nil {
			t.Fatal(err)
		}
		defer ours.Close()
		sc, err := arrowSchema(parquetSchema(vt), 5, vt)
		if err != nil {
			t.Fatal(err)
		}
		theirs := pqarrowFile(t, sc)
		got, want := ours.MetaData().KeyValueMetadata().FindValue(MetaArrowSchema), theirs.MetaData().KeyValueMetadata().FindValue(MetaArrowSchema)
		if got == nil || want == nil || *got != *want {
			t.Fatalf("%s: ARROW:schema differs from pqarrow's:\n ours   %v\n theirs %v", vt, got, want)
		}
		g, w := printSchema(ours.MetaData().Schema.Root()), printSchema(theirs.MetaData().Schema.Root())
		if g != w {
			t.Fatalf("%s: Parquet schema differs from pqarrow's for the same Arrow schema:\nours:\n%s\npqarrow:\n%s", vt, g, w)
		}
		if vt == Float32 {
			t.Logf("Parquet schema of an export:\n%s", g)
		}
	}
}

// TestReadPqarrowFile: a file written by pqarrow itself (a FixedSizeList
// column with the Arrow schema stored) imports through the parquet-go
// reader.
func TestReadPqarrowFile(t *testing.T) {
	const dim = 4
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String},
		{Name: "vector", Type: arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	ib, vb := b.Field(0).(*array.StringBuilder), b.Field(1).(*array.FixedSizeListBuilder)
	fb := vb.ValueBuilder().(*array.Float32Builder)
	want := [][]float32{{1, 2, 3, 4.5}, {-1, 0.25, 0, 7}}
	for i, v := range want {
		ib.Append([]string{"a", "b"}[i])
		vb.Append(true)
		fb.AppendValues(v, nil)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	p := filepath.Join(t.TempDir(), "fsl.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(sc, f, apq.NewWriterProperties(), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got := readAll(t, p, ReadOptions{})
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("rows %+v", got)
	}
	for i := range want {
		for j := range want[i] {
			if got[i].Vector[j] != want[i][j] {
				t.Fatalf("row %d: %v, want %v", i, got[i].Vector, want[i])
			}
		}
	}
}
