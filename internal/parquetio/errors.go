package parquetio

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; the typed errors below carry the facts.
var (
	// ErrBadInput is matched (errors.Is) by every error about the content
	// of a Parquet input: not Parquet, truncated, missing or mistyped
	// columns, ragged or null vectors, non-finite values, bad ids. A
	// missing column is a *ColumnError.
	ErrBadInput = errors.New("invalid Parquet input")
	// ErrOutDir: the folder given for an export cannot take one. The error
	// is an *OutDirError.
	ErrOutDir = errors.New("not a folder for a Parquet export")
	// ErrFloat16Range: a value is beyond what a float16 export can hold.
	// The error is a *Float16RangeError.
	ErrFloat16Range = errors.New("value beyond float16's range")
)

// ColumnError says that a Parquet file has no column of the name asked for
// (ReadOptions.IDColumn or VectorColumn). It matches ErrBadInput.
type ColumnError struct {
	File    string   // the Parquet file
	Role    string   // "id" or "vector"
	Column  string   // the name looked for
	Columns []string // the file's top-level columns
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("%v: %s: no %s column %q (columns: %s)", ErrBadInput, e.File, e.Role, e.Column, strings.Join(e.Columns, ", "))
}

// Unwrap makes errors.Is(err, ErrBadInput) true.
func (e *ColumnError) Unwrap() error { return ErrBadInput }

// OutDirError says why Dir cannot take an export: it is a file, or it holds
// Entry, which is not part of a vecimg export. It matches ErrOutDir.
type OutDirError struct {
	Dir   string
	File  bool   // Dir is a file
	Entry string // when not File: a name in Dir that no export writes
}

func (e *OutDirError) Error() string {
	if e.File {
		return fmt.Sprintf("parquet export: %s is a file, not a folder", e.Dir)
	}
	return fmt.Sprintf("parquet export: %s holds %q, which is not part of a vecimg export", e.Dir, e.Entry)
}

// Unwrap makes errors.Is(err, ErrOutDir) true.
func (e *OutDirError) Unwrap() error { return ErrOutDir }

// Float16RangeError names a record with a value a float16 export cannot
// hold. It matches ErrFloat16Range.
type Float16RangeError struct {
	ID    string  // the record
	Index int     // the value's position in the vector
	Value float32 // the value
}

func (e *Float16RangeError) Error() string {
	return fmt.Sprintf("record %q: value %d (%v) is beyond float16's range (±65504)", e.ID, e.Index, e.Value)
}

// Unwrap makes errors.Is(err, ErrFloat16Range) true.
func (e *Float16RangeError) Unwrap() error { return ErrFloat16Range }
