package app

import (
	"context"
	"io"
	"time"

	"github.com/vecimg/vecimg/internal/fsutil"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/store"
)

// ExportOptions writes the stored vectors as a NumPy .npz.
type ExportOptions struct {
	Out string // the .npz file
}

// ExportResult is types.ExportResult.
type ExportResult = types.ExportResult

// Export writes ids, vectors and (after clustering) labels to o.Out, from
// one consistent snapshot, atomically: a failed export leaves no file.
func (a *App) Export(ctx context.Context, o ExportOptions) (ExportResult, error) {
	start := time.Now()
	if err := checkOutputFile(o.Out, opt("out")); err != nil {
		return ExportResult{}, err
	}
	st, err := a.Store()
	if err != nil {
		return ExportResult{}, err
	}
	var info store.ExportInfo
	err = fsutil.WriteFileAtomic(o.Out, func(w io.Writer) error {
		var err error
		info, err = st.ExportNPZ(ctx, w)
		return err
	})
	if err != nil {
		return ExportResult{}, err
	}
	return ExportResult{Path: o.Out, Format: "npz", Records: info.Records, Dim: info.Dim, Labels: info.Labels,
		Seconds: time.Since(start).Seconds()}, nil
}
