package parquetio

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Where a file's schema keeps the columns a scan reads (id, vector and
// vecimg's own), for the reader in reader.go.

// elemKind is how a vector element is decoded.
type elemKind int

const (
	elemFloat elemKind = iota
	elemDouble
	elemHalf
)

// colSet locates the leaf columns a scan reads; -1 when absent.
type colSet struct {
	id, vector                                int
	idInt                                     bool
	elem                                      elemKind
	vecMaxDef                                 int
	path, sha, width, height, label, distance int
}

func columnNames(s *parquet.Schema) []string {
	var names []string
	for _, f := range s.Fields() {
		names = append(names, f.Name())
	}
	return names
}

func columnsOf(name string, f *parquet.File, o ReadOptions) (colSet, error) {
	s := f.Schema()
	bad := func(format string, args ...any) (colSet, error) {
		return colSet{}, fmt.Errorf("%w: %s: %s", ErrBadInput, name, fmt.Sprintf(format, args...))
	}
	c := colSet{path: -1, sha: -1, width: -1, height: -1, label: -1, distance: -1}
	id, ok := s.Lookup(o.IDColumn)
	if !ok {
		return colSet{}, &ColumnError{File: name, Role: "id", Column: o.IDColumn, Columns: columnNames(s)}
	}
	switch k := id.Node.Type().Kind(); {
	case id.MaxRepetitionLevel > 0:
		return bad("id column %q is a list; it must hold one string or integer per row", o.IDColumn)
	case k == parquet.ByteArray:
	case k == parquet.Int32 || k == parquet.Int64:
		c.idInt = true
	default:
		return bad("id column %q is %s; it must be a string or an integer", o.IDColumn, id.Node.Type())
	}
	c.id = id.ColumnIndex
	var leaves [][]string
	for _, p := range s.Columns() {
		if p[0] == o.VectorColumn {
			leaves = append(leaves, p)
		}
	}
	if len(leaves) == 0 {
		return colSet{}, &ColumnError{File: name, Role: "vector", Column: o.VectorColumn, Columns: columnNames(s)}
	}
	if len(leaves) > 1 {
		return bad("vector column %q is a group of %d columns; it must be a list of numbers", o.VectorColumn, len(leaves))
	}
	v, _ := s.Lookup(leaves[0]...)
	if v.MaxRepetitionLevel != 1 {
		if v.MaxRepetitionLevel == 0 {
			return bad("vector column %q is a single %s per row; it must be a list of float32 or float64", o.VectorColumn, v.Node.Type())
		}
		return bad("vector column %q is a nested list; it must be a flat list of float32 or float64", o.VectorColumn)
	}
	t := v.Node.Type()
	switch {
	case t.Kind() == parquet.Float:
		c.elem = elemFloat
	case t.Kind() == parquet.Double:
		c.elem = elemDouble
	case t.Kind() == parquet.FixedLenByteArray && t.Length() == 2 && isFloat16Leaf(f, v.ColumnIndex):
		c.elem = elemHalf
	default:
		return bad("vector column %q is a list of %s; it must be a list of float32 or float64 (or float16)", o.VectorColumn, t)
	}
	c.vector, c.vecMaxDef = v.ColumnIndex, v.MaxDefinitionLevel
	if _, isV := metadataOf(f)[MetaFormat]; isV {
		for _, want := range []struct {
			name string
			kind parquet.Kind
			dst  *int
		}{
			{ColPath, parquet.ByteArray, &c.path}, {ColSHA256, parquet.ByteArray, &c.sha},
			{ColWidth, parquet.Int32, &c.width}, {ColHeight, parquet.Int32, &c.height},
			{ColLabel, parquet.Int32, &c.label}, {ColDistance, parquet.Float, &c.distance},
		} {
			l, ok := s.Lookup(want.name)
			if !ok || l.MaxRepetitionLevel != 0 || l.Node.Type().Kind() != want.kind {
				return bad("written by vecimg but column %q is missing or not %s", want.name, want.kind)
			}
			*want.dst = l.ColumnIndex
		}
	}
	return c, nil
}

// isFloat16Leaf reports whether leaf column i carries the FLOAT16 logical
// type, which parquet-go's schema drops when it reads a file: the footer's
// schema elements are listed depth first, so the i-th element without
// children is leaf column i.
func isFloat16Leaf(f *parquet.File, i int) bool {
	leaf := 0
	for _, e := range f.Metadata().Schema {
		if n, ok := e.NumChildren.Get(); ok && n > 0 {
			continue
		}
		if leaf == i {
			_, ok := e.LogicalType.Value.(*format.Float16Type)
			return ok
		}
		leaf++
	}
	return false
}
