package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vecimg/vecimg/embed"
)

// SimilarImageOptions is a query with an image that is not stored (an
// upload to the server): its bytes are embedded with the store's model and
// preset and searched for; nothing is written to the store.
type SimilarImageOptions struct {
	Data     []byte // the image file's content (JPEG, PNG or GIF)
	Name     string // its name, for messages
	K        int
	Ef       int
	Exact    bool
	Model    ModelOptions
	Progress Progress
}

// SimilarImage answers a query with an image's bytes. Problems with the
// image itself match ErrInvalid; a missing model or runtime ErrNoModel.
func (a *App) SimilarImage(ctx context.Context, o SimilarImageOptions) (SimilarResult, error) {
	name := o.Name
	if name == "" {
		name = "the uploaded image"
	}
	res := SimilarResult{Query: name, QueryKind: "upload"}
	if o.K <= 0 || o.Ef < 0 {
		return res, invalidf("k must be positive and ef not negative (got %d, %d)", o.K, o.Ef)
	}
	if len(o.Data) == 0 {
		return res, invalidf("%s is empty", name)
	}
	st, man, _, err := a.nonEmptyStore()
	if err != nil {
		return res, err
	}
	// The embedding pipeline reads files: the bytes go to a private
	// temporary file, removed at once.
	ext := strings.ToLower(filepath.Ext(o.Name))
	if len(ext) > 8 || strings.ContainsAny(ext, `/\`) {
		ext = ""
	}
	f, err := os.CreateTemp("", "vecimg-query-*"+ext)
	if err != nil {
		return res, fmt.Errorf("cannot keep the uploaded image for embedding: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(o.Data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return res, fmt.Errorf("cannot keep the uploaded image for embedding: %w", werr)
	}
	v, err := a.embedQuery(ctx, man, tmp, o.Model, a.progress(o.Progress))
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), tmp, name)
		switch {
		case errors.Is(err, ErrNoModel), errors.Is(err, embed.ErrRuntimeNotFound), errors.Is(err, embed.ErrModel),
			errors.Is(err, embed.ErrWeights), errors.Is(err, embed.ErrDevice):
			return res, &msgError{kind: ErrNoModel, msg: msg, cause: err}
		case ctx.Err() != nil:
			return res, ctx.Err()
		default:
			return res, &msgError{kind: ErrInvalid, msg: msg, cause: err}
		}
	}
	hits, err := a.searchVector(ctx, st, v, searchParams{K: o.K, Ef: o.Ef, Exact: o.Exact}, a.progress(o.Progress))
	if err != nil {
		return res, err
	}
	for i := range hits {
		if rec, err := st.Get(hits[i].ID); err == nil {
			hits[i].Path = rec.Path
		}
	}
	res.Results = hits
	return res, nil
}
