package store

import (
	"context"
	"errors"
	"io"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/vecimg/vecimg/internal/npz"
)

// ExportInfo describes what ExportNPZ wrote.
type ExportInfo struct {
	Records int  // rows of ids and vectors
	Dim     int  // columns of vectors
	Labels  bool // whether labels.npy was written
}

// ExportNPZ writes every record, in id order and from one consistent
// snapshot, as an .npz archive with
//
//	ids      '<U{n}' (N,)    record ids
//	vectors  '<f4'   (N, D)  the vectors, row i belonging to ids[i]
//	labels   '<i4'   (N,)    cluster labels, NoLabel (-1) for unlabelled
//	                         records; only when at least one record has a label
//
// Vectors stream from the store to w; memory holds the ids and labels only.
func (s *Store) ExportNPZ(ctx context.Context, w io.Writer) (ExportInfo, error) {
	var info ExportInfo
	m, ok, err := s.Manifest()
	if err != nil {
		return info, err
	}
	if ok {
		info.Dim = m.Dim
	}
	z := npz.NewWriter(w)
	err = s.view("export", func(txn *badger.Txn) error {
		ids, err := listRecordIDs(txn)
		if err != nil {
			return err
		}
		if err := z.Strings("ids", ids); err != nil {
			return err
		}
		mw, err := z.Float32s("vectors", len(ids), info.Dim)
		if err != nil {
			return err
		}
		labels := make([]int32, 0, len(ids))
		i := 0
		err = scanRecords(ctx, txn, s.run.Load(), func(r *Record) error {
			if i >= len(ids) || r.ID != ids[i] {
				return errors.New("record ids changed during export")
			}
			i++
			if r.Meta.Label != NoLabel {
				info.Labels = true
			}
			labels = append(labels, r.Meta.Label)
			return mw.WriteRow(r.Vector)
		})
		if err != nil {
			return err
		}
		info.Records = i
		if info.Labels {
			return z.Int32s("labels", labels)
		}
		return nil
	})
	if err == nil {
		if err = z.Close(); err != nil {
			err = s.wrapf(err, "export")
		}
	}
	if err != nil {
		return ExportInfo{}, err
	}
	return info, nil
}
