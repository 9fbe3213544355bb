// Package parquetio writes vecimg records as Parquet datasets and reads
// Parquet vectors back, with github.com/parquet-go/parquet-go.
//
// A dataset is a folder of part-NNNNN.parquet files of at most RowsPerFile
// rows each, plus a JSON _SUCCESS manifest (Success) listing the files and
// their row counts, written last. Columns: id, path, sha256 (strings), width,
// height (int32), label (int32, null when not clustered), distance (float),
// vector (a LIST of FLOAT, or of FLOAT16 when asked; every list has the
// dimension in the vecimg.dim metadata). Parquet has no fixed-size list, so
// every file also carries its Arrow schema under ARROW:schema (as arrow-go's
// pqarrow writes it), in which vector is FixedSizeList<float32 or float16,
// dim>: Arrow-based readers read the column as that. The store manifest
// travels as the vecimg.manifest key-value metadata. Files are zstd-compressed, written one
// row group at a time (bounded memory) and each is renamed into place only
// when complete.
//
// The reader (Open, Dataset.Scan) takes such a folder, a single file, or a
// folder of *.parquet files from another tool whose id column is a string or
// integer and whose vector column is a list of float32, float64 or float16;
// it checks schemas before reading data and every row while reading, and its
// errors name the file, the row and the id.
//
// Writer and Dataset work on Row and know nothing of the store; ExportStore
// streams a store's records into a Writer.
package parquetio
