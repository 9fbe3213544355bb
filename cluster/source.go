package cluster

import (
	"context"
	"fmt"
)

// Source streams the vectors to cluster. Scan must call fn once for every
// vector, with i running 0..Len()-1 in a stable order (the same order on
// every call), and stop with fn's error if fn returns one. v is only valid
// during the call; the package copies what it keeps. Scan may be called
// several times during one Fit (once per streaming pass).
type Source interface {
	Len() int
	Dim() int
	Scan(ctx context.Context, fn func(i int, id string, v []float32) error) error
}

// sliceSource is the in-memory Source returned by FromSlices.
type sliceSource struct {
	ids  []string
	vecs [][]float32
	dim  int
}

// FromSlices returns a Source over vectors already in memory; ids[i] names
// vecs[i]. The slices are not copied and must not change while in use. The
// dimension is len(vecs[0]); a vector of another length makes Fit fail with
// ErrBadVector. If ids is shorter than vecs the missing ids are the decimal
// index ("0", "1", ...).
func FromSlices(ids []string, vecs [][]float32) Source {
	d := 0
	if len(vecs) > 0 {
		d = len(vecs[0])
	}
	return &sliceSource{ids: ids, vecs: vecs, dim: d}
}

func (s *sliceSource) Len() int { return len(s.vecs) }
func (s *sliceSource) Dim() int { return s.dim }

func (s *sliceSource) Scan(ctx context.Context, fn func(i int, id string, v []float32) error) error {
	for i, v := range s.vecs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		id := ""
		if i < len(s.ids) {
			id = s.ids[i]
		} else {
			id = fmt.Sprint(i)
		}
		if err := fn(i, id, v); err != nil {
			return err
		}
	}
	return nil
}
