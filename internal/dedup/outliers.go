package dedup

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/vecimg/vecimg/internal/progress"
)

// OutlierOptions configures Outliers.
type OutlierOptions struct {
	// K: the score is the distance to the K-th nearest other image
	// (default DefaultOutlierK).
	K int
	// N is the number of highest-scoring images returned (default
	// DefaultOutlierN).
	N int
	// Workers is the number of concurrent queries (default 2).
	Workers int
	// Progress, when set, follows the queries (StageOutliers, one unit per
	// image).
	Progress progress.Func
}

// Outlier is one image with its score: the cosine distance to its K-th
// nearest other image. Neighbours lists those K neighbours, nearest first.
type Outlier struct {
	ID         string      `json:"id"`
	Score      float32     `json:"score"`
	Neighbours []Neighbour `json:"neighbours"`
}

// OutlierResult is the outcome of Outliers: the N highest scores, highest
// first (ties by id).
type OutlierResult struct {
	K        int       `json:"k"`
	N        int       `json:"n"`
	Items    int       `json:"items"`
	Outliers []Outlier `json:"outliers"`
}

// Outliers scores every image that items lists by the cosine distance to its
// K-th nearest other image and returns the N highest. It needs more than K
// images. Byte-identical copies count as neighbours at distance 0, so an
// image stored twice is scored by its (K−1)-th other neighbour, in effect.
func Outliers(ctx context.Context, it Items, nb Neighbours, opt OutlierOptions) (*OutlierResult, error) {
	if opt.K < 0 || opt.N < 0 || opt.Workers < 0 {
		return nil, fmt.Errorf("%w: negative K (%d), N (%d) or Workers (%d)", ErrInvalidOptions, opt.K, opt.N, opt.Workers)
	}
	opt.K = cmp.Or(opt.K, DefaultOutlierK)
	opt.N = cmp.Or(opt.N, DefaultOutlierN)
	opt.Workers = cmp.Or(opt.Workers, DefaultWorkers)
	if nb == nil || it == nil {
		return nil, fmt.Errorf("%w: nil Items or Neighbours", ErrInvalidOptions)
	}
	var ids []string
	seen := map[string]struct{}{}
	err := it(ctx, func(x Item) error {
		if _, dup := seen[x.ID]; dup {
			return fmt.Errorf("item %q listed twice", x.ID)
		}
		seen[x.ID] = struct{}{}
		ids = append(ids, x.ID)
		return nil
	})
	seen = nil
	if err != nil {
		return nil, fmt.Errorf("listing the images: %w", err)
	}
	if len(ids) <= opt.K {
		return nil, fmt.Errorf("%w: %d images, but the score of each is the distance to its %d-th nearest other image: it needs at least %d images (or a smaller k)",
			ErrInvalidOptions, len(ids), opt.K, opt.K+1)
	}
	res := &OutlierResult{K: opt.K, N: opt.N, Items: len(ids)}
	var mu sync.Mutex
	top := &outlierHeap{}
	prog := newProgress(opt.Progress, StageOutliers, len(ids))
	err = parallel(ctx, opt.Workers, len(ids), func(i int) error {
		id := ids[i]
		nbs, err := nb(ctx, id, opt.K+1)
		if err != nil {
			return fmt.Errorf("neighbours of %q: %w", id, err)
		}
		nbs = slices.DeleteFunc(nbs, func(x Neighbour) bool { return x.ID == id })
		if len(nbs) < opt.K {
			return fmt.Errorf("neighbours of %q: got %d, want %d (is the index out of date with the store?)", id, len(nbs), opt.K)
		}
		nbs = nbs[:opt.K]
		o := Outlier{ID: id, Score: nbs[opt.K-1].Distance}
		mu.Lock()
		if top.Len() < opt.N {
			o.Neighbours = slices.Clone(nbs)
			heap.Push(top, o)
		} else if worse((*top)[0], o) {
			o.Neighbours = slices.Clone(nbs)
			(*top)[0] = o
			heap.Fix(top, 0)
		}
		mu.Unlock()
		prog.step()
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Outliers = []Outlier(*top)
	slices.SortFunc(res.Outliers, func(a, b Outlier) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	return res, nil
}

// worse reports whether a ranks below b: a lower score, or the same score
// and a larger id.
func worse(a, b Outlier) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

// outlierHeap is a min-heap by rank: its root is the weakest of the kept top N.
type outlierHeap []Outlier

func (h outlierHeap) Len() int           { return len(h) }
func (h outlierHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h outlierHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *outlierHeap) Push(x any)        { *h = append(*h, x.(Outlier)) }
func (h *outlierHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
