package index

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// VectorSource is what an index is built from: the store implements it. Scan
// visits every (id, vector) pair; v is only valid during the call.
type VectorSource interface {
	ScanVectors(ctx context.Context, fn func(id string, v []float32) error) error
}

// SyncInfo says how an index file was brought up to date.
type SyncInfo struct {
	Loaded  bool   // a usable index file was read
	Rebuilt bool   // built from scratch (no file, or a damaged/incompatible one)
	Reason  string // why it was rebuilt ("" when not)
	Added   int    // vectors added or replaced incrementally
	Deleted int    // vectors removed incrementally
	Saved   bool   // the file was rewritten
	SaveErr error  // why saving failed (the index in memory is still right)
}

// Open returns an index at path that reflects generation gen of src with
// vectors of dim components. A file recording gen is used as is; a file of an
// older generation is updated incrementally (new and changed vectors added,
// vanished ones deleted); a missing, damaged or incompatible file is never
// trusted: the index is rebuilt from src. When anything changed the file is
// saved atomically; a failed save is reported in SyncInfo.SaveErr, not as an
// error, since the index in memory is still right.
func Open(ctx context.Context, path string, dim int, gen uint64, src VectorSource, cfg Config) (*Index, SyncInfo, error) {
	var info SyncInfo
	x, fileGen, err := Load(path)
	switch {
	case err == nil && x.Dim() != dim:
		info.Reason = fmt.Sprintf("index has dimension %d, the store %d", x.Dim(), dim)
		x = nil
	case err == nil:
		info.Loaded = true
		if fileGen == gen {
			return x, info, nil
		}
	case errors.Is(err, os.ErrNotExist):
		info.Reason = "no index file yet"
	default:
		info.Reason = err.Error()
	}
	if x == nil {
		info.Rebuilt = true
		if x, err = New(dim, cfg); err != nil {
			return nil, info, err
		}
	}
	if err := x.syncFrom(ctx, src, &info); err != nil {
		return nil, info, err
	}
	if info.Rebuilt || info.Added > 0 || info.Deleted > 0 || fileGen != gen {
		if err := x.Save(path, gen); err != nil {
			info.SaveErr = err
		} else {
			info.Saved = true
		}
	}
	x.SetGeneration(gen)
	return x, info, nil
}

// syncFrom makes x hold exactly src's vectors.
func (x *Index) syncFrom(ctx context.Context, src VectorSource, info *SyncInfo) error {
	seen := make(map[string]struct{}, x.Len())
	norm := make([]float32, x.dim)
	var ids []string
	var vecs [][]float32
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		if err := x.AddBatch(ids, vecs); err != nil {
			return err
		}
		info.Added += len(ids)
		ids, vecs = ids[:0], vecs[:0]
		return nil
	}
	err := src.ScanVectors(ctx, func(id string, v []float32) error {
		seen[id] = struct{}{}
		if old, ok := x.Vector(id); ok {
			if err := normalise(norm, v, x.dim); err == nil && equalVec(old, norm) {
				return nil
			}
		}
		ids = append(ids, id)
		vecs = append(vecs, append([]float32(nil), v...))
		if len(ids) >= 1024 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: reading vectors: %w", err)
	}
	if err := flush(); err != nil {
		return err
	}
	for _, id := range x.IDs() {
		if _, ok := seen[id]; !ok {
			x.Delete(id)
			info.Deleted++
		}
	}
	return nil
}

func equalVec(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-6 || d < -1e-6 {
			return false
		}
	}
	return true
}
