package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/internal/types"
	"github.com/vecimg/vecimg/internal/vec"
	"github.com/vecimg/vecimg/store"
)

// ImageInfo is one stored image's record without its vector.
type ImageInfo = types.Image

func imageInfo(r *store.Record) ImageInfo {
	return ImageInfo{ID: r.ID, Path: r.Path, SHA256: r.SHA256, Width: r.Width, Height: r.Height,
		Label: r.Meta.Label, ToCentre: r.Meta.Distance, Added: r.Added}
}

// ListOptions selects a page of stored images, in natural id order.
type ListOptions = types.ListOptions

// ListResult is one page; Total counts every image that matches.
type ListResult = types.ListPage

// viewState caches what listing and the map need from the whole store, for
// a long-running App (vecimg serve); both are brought up to date when the
// store's generation or its last clustering changed.
type viewState struct {
	mu  sync.Mutex
	cat *catalog
	mp  *mapCache // map.go
}

// catalog is every stored id in natural order with its label.
type catalog struct {
	gen    uint64
	runAt  time.Time
	ids    []string
	labels map[string]int32
}

// currentCatalog returns the catalog of the store as it is now. After an
// ingest added records, only the new ids are read; after a clustering (or
// removals), the labels are read again from the whole store.
func (a *App) currentCatalog(ctx context.Context, st *store.Store) (*catalog, error) {
	gen, err := st.Generation()
	if err != nil {
		return nil, err
	}
	run, _, err := st.ClusterRun()
	if err != nil {
		return nil, err
	}
	v := &a.views
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.cat
	if old != nil && old.gen == gen && old.runAt.Equal(run.At) {
		return old, nil
	}
	c := &catalog{gen: gen, runAt: run.At, labels: map[string]int32{}}
	ids, err := st.IDs()
	if err != nil {
		return nil, err
	}
	if old != nil && old.runAt.Equal(run.At) {
		for _, id := range ids {
			if l, ok := old.labels[id]; ok {
				c.labels[id] = l
				continue
			}
			r, err := st.Get(id)
			if errors.Is(err, store.ErrNotFound) {
				continue // removed meanwhile
			}
			if err != nil {
				return nil, err
			}
			c.labels[id] = r.Meta.Label
		}
	} else {
		err := st.Scan(ctx, func(r *store.Record) error {
			c.labels[r.ID] = r.Meta.Label
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	c.ids = make([]string, 0, len(c.labels))
	for id := range c.labels {
		c.ids = append(c.ids, id)
	}
	slices.SortFunc(c.ids, cluster.NaturalCompare)
	v.cat = c
	return c, nil
}

// List returns one page of stored images.
func (a *App) List(ctx context.Context, o ListOptions) (ListResult, error) {
	var res ListResult
	if o.Offset < 0 || o.Limit < 1 {
		return res, invalidf("offset must be ≥ 0 and limit ≥ 1 (got %d, %d)", o.Offset, o.Limit)
	}
	if o.Label != nil && *o.Label < store.NoLabel {
		return res, invalidf("cluster label %d: labels are %d (not clustered) or more", *o.Label, store.NoLabel)
	}
	st, err := a.Store()
	if err != nil {
		return res, err
	}
	c, err := a.currentCatalog(ctx, st)
	if err != nil {
		return res, err
	}
	ids := c.ids
	if o.Label != nil {
		ids = nil
		for _, id := range c.ids {
			if c.labels[id] == *o.Label {
				ids = append(ids, id)
			}
		}
	}
	res.Total = len(ids)
	res.Images = []ImageInfo{}
	for i := o.Offset; i < len(ids) && i < o.Offset+o.Limit; i++ {
		r, err := st.Get(ids[i])
		if errors.Is(err, store.ErrNotFound) {
			continue // removed since the catalog was read
		}
		if err != nil {
			return res, err
		}
		res.Images = append(res.Images, imageInfo(&r))
	}
	return res, nil
}

// Image returns one stored image's record; ErrNotFound when id is not
// stored.
func (a *App) Image(ctx context.Context, id string) (ImageInfo, error) {
	if err := vec.CheckID(id); err != nil {
		return ImageInfo{}, invalidf("%v", err)
	}
	st, err := a.Store()
	if err != nil {
		return ImageInfo{}, err
	}
	r, err := st.Get(id)
	if errors.Is(err, store.ErrNotFound) {
		return ImageInfo{}, &msgError{kind: ErrNotFound, msg: fmt.Sprintf("no stored image has id %q", id)}
	}
	if err != nil {
		return ImageInfo{}, err
	}
	return imageInfo(&r), nil
}

// Labels returns the current cluster label of every stored image.
func (a *App) Labels(ctx context.Context) (map[string]int32, error) {
	st, err := a.Store()
	if err != nil {
		return nil, err
	}
	c, err := a.currentCatalog(ctx, st)
	if err != nil {
		return nil, err
	}
	return c.labels, nil
}
