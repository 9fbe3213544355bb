package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/internal/vec"
	"github.com/vecimg/vecimg/store"
)

// ImportOptions brings vectors made elsewhere into the store.
type ImportOptions struct {
	File      string         // a file of ids and vectors (see rowFormats: .npz)
	ModelName string         // the model that made the vectors, recorded in the manifest (required, except for a vecimg Parquet export, which carries its store's)
	Columns   ParquetColumns // Parquet: the id and vector columns (default id, vector)
	NoIndex   bool           // do not build or update the index afterwards
	Progress  Progress
}

// ImportResult is types.ImportResult.
type ImportResult = types.ImportResult

// importBatch is how many records one Put commits.
const importBatch = 1024

// Import reads o.File twice: first to check every row (ids valid and
// unique, vectors of one dimension, finite and not all zero, the file
// whole), then to write the rows in batches. A file that fails the check
// writes nothing, and a new store is only created after it passed. The
// store's manifest names o.ModelName with kind "imported" and preset
// "none"; importing into a store made by another model is refused. Such a
// store is searched, clustered and exported like any other, but has no
// model to embed new images. A vecimg Parquet export (read without named
// columns) is restored instead, as exported: see restoreExport.
func (a *App) Import(ctx context.Context, o ImportOptions) (ImportResult, error) {
	res := ImportResult{File: o.File, Model: o.ModelName}
	if o.Columns == (ParquetColumns{}) { // with columns named, any Parquet is read as foreign
		if d, man, ok := vecimgExport(o.File); ok {
			return a.restoreExport(ctx, o, d, man)
		}
	}
	if o.ModelName == "" {
		return res, optInvalidf("import needs {model-name} NAME: the model that made the vectors (it is recorded in the store)")
	}
	if err := checkImportInput(o.File); err != nil {
		return res, err
	}
	if a.cfg.ReadOnly {
		return res, fmt.Errorf("%w: import needs the store open for writing", store.ErrReadOnly)
	}
	a.writeMu.Lock()
	defer a.writeMu.Unlock()
	p := a.progress(o.Progress)
	man, err := a.manifestIfAny()
	if err != nil {
		return res, err
	}
	start := time.Now()
	// Pass 1: check the whole file.
	rows, format, err := openRows(o.File, o.Columns)
	if err != nil {
		return res, err
	}
	res.Format, res.Dim = format, rows.Dim()
	want := store.Manifest{Model: o.ModelName, ModelDesc: fmt.Sprintf("vectors imported from %s (model %s)", filepath.Base(o.File), o.ModelName),
		Preset: store.PresetNone, Dim: rows.Dim(), Spec: store.ModelSpec{Kind: store.ModelImported, Name: o.ModelName, Preset: store.PresetNone}}
	if man != nil {
		if err := compareImport(a.cfg.DB, man, want); err != nil {
			rows.Close()
			return res, err
		}
	}
	n, err := checkRows(ctx, rows, o.File, p)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res, err
	}
	if n == 0 {
		return res, invalidf("%s holds no rows: nothing to import", o.File)
	}
	// Pass 2: write.
	st, err := a.writable(true)
	if err != nil {
		return res, err
	}
	if err := st.EnsureManifest(want); err != nil {
		return res, err
	}
	if rows, _, err = openRows(o.File, o.Columns); err != nil {
		return res, err
	}
	defer rows.Close()
	abs, _ := filepath.Abs(o.File)
	p.Start("import", "vec", int64(n))
	written, replaced, err := writeRows(ctx, st, rows, abs, p)
	p.Done()
	res.Rows, res.Replaced = written, replaced
	if err != nil {
		return res, fmt.Errorf("import stopped after %d of %d rows (those are stored; run it again to finish): %w", written, n, err)
	}
	if written != n {
		return res, fmt.Errorf("%s changed while it was imported (%d rows checked, %d read)", o.File, n, written)
	}
	if !o.NoIndex {
		if err := a.syncIndex(ctx, st, p); err != nil {
			return res, err
		}
	}
	res.Seconds = time.Now().Sub(start).Seconds()
	return res, nil
}

// compareImport refuses to import into a store made by something else.
func compareImport(db string, man *store.Manifest, want store.Manifest) error {
	if man.Spec.Kind != store.ModelImported {
		return optErr(store.ErrManifestMismatch, nil, "store %s holds vectors of the model %s, not imported ones: import into a new store with {db} NEW.db", db, man.Model)
	}
	if man.Model != want.Model || man.Dim != want.Dim {
		return optErr(store.ErrManifestMismatch, nil, "store %s holds %d-d vectors of the model %q; the file has %d-d vectors, named %q: import into a new store with {db} NEW.db", db, man.Dim, man.Model, want.Dim, want.Model)
	}
	return nil
}

// checkRows reads every row and checks it; it returns the number of rows.
func checkRows(ctx context.Context, rows VectorRows, file string, p Progress) (int, error) {
	seen := make(map[string]int, max(rows.Len(), 0))
	p.Start("checking "+filepath.Base(file), "vec", int64(rows.Len()))
	defer p.Done()
	dim := rows.Dim()
	for i := 0; ; i++ {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return i, err
			}
		}
		id, v, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return i, nil
		}
		if err != nil {
			return i, &msgError{kind: ErrInvalid, cause: err, msg: err.Error()}
		}
		if err := vec.CheckID(id); err != nil {
			return i, invalidf("%s: row %d: %v", file, i, err)
		}
		if err := vec.Check(v, dim); err != nil {
			return i, invalidf("%s: row %d (id %q): %v", file, i, id, err)
		}
		if j, dup := seen[id]; dup {
			return i, invalidf("%s: duplicate id %q in rows %d and %d: ids must be unique", file, id, j, i)
		}
		seen[id] = i
		p.Add(1)
	}
}

// writeRows stores every row in batches.
func writeRows(ctx context.Context, st *store.Store, rows VectorRows, abs string, p Progress) (written, replaced int, err error) {
	batch := make([]store.Record, 0, importBatch)
	before, err := st.Count()
	if err != nil {
		return 0, 0, err
	}
	// Import runs under a.writeMu, so the written value-log pages can be
	// dropped from the resident set as it goes (see pageReleaser).
	rel := newPageReleaser(st, rows.Dim())
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if before == 0 {
				break // a new store: nothing to replace
			}
			if _, err := st.Get(r.ID); err == nil {
				replaced++
			}
		}
		if err := st.Put(batch); err != nil {
			return err
		}
		written += len(batch)
		for range batch {
			if err := rel.tick(); err != nil {
				return err
			}
		}
		p.Add(int64(len(batch)))
		batch = batch[:0]
		return ctx.Err()
	}
	for i := 0; ; i++ {
		id, v, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return written, replaced, err
		}
		batch = append(batch, importRecord(id, v, abs, i))
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return written, replaced, err
			}
		}
	}
	return written, replaced, flush()
}

// importRecord is the store record of one imported row: its path names the
// file and row, its hash is the SHA-256 of the vector's bytes.
func importRecord(id string, v []float32, abs string, row int) store.Record {
	own := append([]float32(nil), v...)
	b := make([]byte, 0, 4*len(own))
	for _, f := range own {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	sum := sha256.Sum256(b)
	return store.Record{ID: id, Path: abs + "#" + strconv.Itoa(row), SHA256: hex.EncodeToString(sum[:]), Vector: own, Meta: store.Meta{Label: store.NoLabel}}
}
