package parquetio

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
)

// MetaArrowSchema is the key-value metadata key under which Arrow-based
// readers (arrow-go's pqarrow, Arrow C++ and so pyarrow, Polars, Spark
// through Arrow) look for the Arrow schema a file was written from.
const MetaArrowSchema = "ARROW:schema"

// arrowSchema is the Arrow schema of a file whose Parquet schema is ps:
// the same fields in the same order (Arrow readers pair them by position),
// each with the Arrow type of its column and the nullability of its Parquet
// repetition, except that the vector column, a Parquet LIST, is declared a
// FixedSizeList of dim elements. Parquet has no fixed-size list: a reader
// that finds this schema reads the LIST column as FixedSizeList<float, dim>
// (or <halffloat, dim>); other readers see a list.
func arrowSchema(ps *parquet.Schema, dim int, vt VectorType) (*arrow.Schema, error) {
	var fields []arrow.Field
	for _, f := range ps.Fields() {
		af := arrow.Field{Name: f.Name(), Nullable: f.Optional()}
		switch f.Name() {
		case ColID, ColPath, ColSHA256:
			af.Type = arrow.BinaryTypes.String
		case ColWidth, ColHeight, ColLabel:
			af.Type = arrow.PrimitiveTypes.Int32
		case ColDistance:
			af.Type = arrow.PrimitiveTypes.Float32
		case ColVector:
			// LIST annotated group > repeated group "list" > element.
			list := f.Fields()
			if len(list) != 1 || !list[0].Repeated() || len(list[0].Fields()) != 1 {
				return nil, fmt.Errorf("parquet export: column %q is not a 3-level LIST", f.Name())
			}
			elem := list[0].Fields()[0]
			et := arrow.DataType(arrow.PrimitiveTypes.Float32)
			if vt == Float16 {
				et = arrow.FixedWidthTypes.Float16
			}
			// The element is named as in the Parquet column, which is what
			// pqarrow's own writer stores too.
			af.Type = arrow.FixedSizeListOfField(int32(dim), arrow.Field{Name: elem.Name(), Type: et, Nullable: elem.Optional()})
		default:
			return nil, fmt.Errorf("parquet export: no Arrow type for column %q", f.Name())
		}
		fields = append(fields, af)
	}
	return arrow.NewSchema(fields, nil), nil
}

// encodeArrowSchema is the MetaArrowSchema value for s, in the form
// pqarrow writes it: base64 (standard, padded) of an Arrow IPC stream that
// holds only the schema message and the end-of-stream marker.
func encodeArrowSchema(s *arrow.Schema) (string, error) {
	var b bytes.Buffer
	w := ipc.NewWriter(&b, ipc.WithSchema(s))
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("parquet export: Arrow schema: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// parquetSchema is the Parquet schema the writer uses for vt.
func parquetSchema(vt VectorType) *parquet.Schema {
	if vt == Float16 {
		return schema16()
	}
	return parquet.SchemaOf(row32{})
}
