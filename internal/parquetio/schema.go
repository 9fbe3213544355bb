package parquetio

import (
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Column names of a vecimg export.
const (
	ColID       = "id"
	ColPath     = "path"
	ColSHA256   = "sha256"
	ColWidth    = "width"
	ColHeight   = "height"
	ColLabel    = "label"
	ColDistance = "distance"
	ColVector   = "vector"
)

// Key-value metadata keys written into every file's footer.
const (
	// MetaFormat is the version of this file layout ("1").
	MetaFormat = "vecimg.format"
	// MetaManifest holds the store manifest as JSON.
	MetaManifest = "vecimg.manifest"
	// MetaDim is the vector length, in decimal.
	MetaDim = "vecimg.dim"
	// MetaVectorType is "float32" or "float16".
	MetaVectorType = "vecimg.vector_type"
	// MetaShard is the shard ("I/N") whose records the dataset holds, when
	// it was written by one shard of a sharded ingest; absent otherwise.
	MetaShard = "vecimg.shard"
)

// FormatVersion is the value of MetaFormat this package writes.
const FormatVersion = "1"

// VectorType is how vector elements are stored.
type VectorType string

const (
	// Float32 stores each element as a Parquet FLOAT: exact.
	Float32 VectorType = "float32"
	// Float16 stores each element as a FIXED_LEN_BYTE_ARRAY(2) annotated
	// FLOAT16 (IEEE half precision, little-endian): half the size, rounded
	// to nearest even, values beyond ±65504 become ±Inf and are refused.
	Float16 VectorType = "float16"
)

// Row is one record of an export. Label < 0 is written as null (not
// clustered).
type Row struct {
	ID       string
	Path     string
	SHA256   string
	Width    int32
	Height   int32
	Label    int32
	Distance float32
	Vector   []float32
}

// row32 is the Go shape of a float32 file; parquet-go maps it to columns
// directly (the fast path).
type row32 struct {
	ID       string    `parquet:"id"`
	Path     string    `parquet:"path"`
	SHA256   string    `parquet:"sha256"`
	Width    int32     `parquet:"width"`
	Height   int32     `parquet:"height"`
	Label    *int32    `parquet:"label,optional"`
	Distance float32   `parquet:"distance"`
	Vector   []float32 `parquet:"vector,list"`
}

// row16 is the Go shape of a float16 file; its vector elements are written
// through schema16, whose leaf carries the FLOAT16 annotation.
type row16 struct {
	ID       string    `parquet:"id"`
	Path     string    `parquet:"path"`
	SHA256   string    `parquet:"sha256"`
	Width    int32     `parquet:"width"`
	Height   int32     `parquet:"height"`
	Label    *int32    `parquet:"label,optional"`
	Distance float32   `parquet:"distance"`
	Vector   [][2]byte `parquet:"vector,list"`
}

// float16Type is FIXED_LEN_BYTE_ARRAY(2) with the FLOAT16 logical type,
// which parquet-go has no constructor for.
type float16Type struct{ parquet.Type }

var float16Logical = format.LogicalType{Value: &format.Float16Type{}}

func (float16Type) LogicalType() *format.LogicalType { return &float16Logical }
func (float16Type) String() string                   { return "FLOAT16" }

// schema16 is the schema of a float16 file (parquet.Group orders its
// columns by name).
func schema16() *parquet.Schema {
	return parquet.NewSchema("row16", parquet.Group{
		ColID:       parquet.String(),
		ColPath:     parquet.String(),
		ColSHA256:   parquet.String(),
		ColWidth:    parquet.Int(32),
		ColHeight:   parquet.Int(32),
		ColLabel:    parquet.Optional(parquet.Int(32)),
		ColDistance: parquet.Leaf(parquet.FloatType),
		ColVector:   parquet.List(parquet.Leaf(float16Type{parquet.FixedLenByteArrayType(2)})),
	})
}
