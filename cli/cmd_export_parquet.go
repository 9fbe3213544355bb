package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vecimg/vecimg/internal/app"
	"github.com/vecimg/vecimg/internal/types"
)

// exportParquetFlags are the flags of export's Parquet format.
func exportParquetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Usage: "npz or parquet (default: parquet when --out ends in .parquet, else npz)"},
		&cli.IntFlag{Name: "rows-per-file", Value: types.DefaultRowsPerFile, Usage: "parquet: at most `N` rows per file"},
		&cli.StringFlag{Name: "vector-type", Value: "float32", Usage: "parquet: float32 (exact) or float16 (half the size, rounded)"},
	}
}

// exportFormat is the format export writes, from --format or --out.
func exportFormat(c *cli.Context) (string, error) {
	switch f := strings.ToLower(c.String("format")); f {
	case "npz", "parquet":
		return f, nil
	case "":
		if strings.HasSuffix(strings.ToLower(strings.TrimRight(c.String("out"), "/")), ".parquet") {
			return "parquet", nil
		}
		return "npz", nil
	default:
		return "", usagef("--format %q: use npz or parquet", c.String("format"))
	}
}

// exportParquet runs export --format parquet.
func exportParquet(c *cli.Context) error {
	out := c.String("out")
	if !c.IsSet("out") {
		out = "vectors.parquet"
	}
	opts := app.ExportParquetOptions{Out: out, RowsPerFile: c.Int("rows-per-file"), VectorType: c.String("vector-type"), Progress: progressFor(c)}
	return withApp(c, true, func(a *app.App) error {
		res, err := a.ExportParquet(c.Context, opts)
		if err != nil {
			return err
		}
		return emit(c, res, printExportParquet)
	})
}

func printExportParquet(w io.Writer, res app.ExportParquetResult) error {
	mb := float64(res.Bytes) / 1e6
	rate := fmt.Sprintf("; %.1fs", res.Seconds)
	if res.Seconds >= 1 { // a rate of a blink says nothing
		rate += fmt.Sprintf(", %.0f rows/s, %.0f MB/s", float64(res.Records)/res.Seconds, mb/res.Seconds)
	}
	_, err := fmt.Fprintf(w, "wrote %s: %d × %d (%s) in %s, %.1f MB, and %s%s\n",
		res.Path, res.Records, res.Dim, res.VectorType, count(len(res.Files), "Parquet file"), mb, types.SuccessFile, rate)
	return err
}

const parquetExportHelp = "\n" +
	"--format parquet (or --out NAME.parquet) writes a folder of Parquet files (zstd) of at most\n" +
	"--rows-per-file rows: part-00000.parquet, … with columns id, path, sha256, width, height,\n" +
	"label (null when not clustered), distance and vector (a fixed-size list of float32, or of\n" +
	"float16 with --vector-type float16: a Parquet LIST of one length, declared\n" +
	"FixedSizeList<float, D> in the Arrow schema each file carries as ARROW:schema, which\n" +
	"Arrow-based readers use), the store manifest in each file's metadata (vecimg.manifest),\n" +
	"and last a JSON _SUCCESS listing the files and their rows. Each file appears only when\n" +
	"complete. DuckDB reads the folder (checked by bench/parquet_duckdb.sh) and arrow-go reads the\n" +
	"vectors as fixed-size lists (tested); Spark, Polars and pyarrow should too (not tried here);\n" +
	"so do `vecimg import` and `vecimg merge`. An --out folder with other files, or with the\n" +
	"output of `vecimg ingest --shard I/N --out`, is refused; an earlier export is replaced."

const parquetImportHelp = "\n" +
	"FILE.parquet, or a folder of Parquet files (a `vecimg export --format parquet` folder, whose\n" +
	"_SUCCESS names the files, or *.parquet from Spark, pandas, DuckDB …), needs an id column\n" +
	"(strings or integers; --id-column) and a vector column (a list of float32 or float64, all\n" +
	"of one length; --vector-column); other columns are ignored. Ragged or null vectors, NaN,\n" +
	"wrong column types and truncated files are refused before anything is written. To restore\n" +
	"a vecimg export with its paths, hashes and model manifest, use `vecimg merge --db NEW DIR`."
