package dedup

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Defaults for Options and OutlierOptions.
const (
	// DefaultThreshold is the cosine distance D under which two images count
	// as near-duplicates. It was chosen on the calibration set of bench/dups
	// (VGG16 fc6 with seeded random weights of the real shapes, preset
	// imagenet): the largest D of the sweep whose pair precision stayed at
	// least 0.99 (0.997, recall 0.565). Real ImageNet weights have not been
	// measured; bench/dups/run.sh with VECIMG_WEIGHTS recalibrates.
	DefaultThreshold = 0.004
	DefaultK         = 16  // first number of neighbours asked per image
	DefaultMaxK      = 256 // cap of the adaptive k
	DefaultWorkers   = 2
	DefaultOutlierK  = 5
	DefaultOutlierN  = 20
)

// ErrInvalidOptions marks options that cannot be used.
var ErrInvalidOptions = errors.New("invalid options")

// Neighbour is one nearest neighbour: its id and its cosine distance
// (1 − cos, in [0, 2]) to the query.
type Neighbour struct {
	ID       string  `json:"id"`
	Distance float32 `json:"distance"`
}

// Neighbours returns up to k nearest neighbours of the stored image id
// (it may leave out those farther than the threshold: a range query will do),
// nearest first, leaving id itself out. It must be safe for concurrent use.
type Neighbours func(ctx context.Context, id string, k int) ([]Neighbour, error)

// Distance returns the cosine distance between two stored images. It must be
// safe for concurrent use.
type Distance func(a, b string) (float32, error)

// Item is what dedup needs to know about one stored image.
type Item struct {
	ID string
	// SHA256 is the lowercase hex SHA-256 of the file; "" (or anything that
	// is not 64 hex digits) means unknown, and the item is then never put
	// into an identical group.
	SHA256        string
	Width, Height int
	// Order says which image is older: the time it was stored (unix
	// nanoseconds) or its insertion rank. Smaller is older.
	Order int64
}

// Items calls fn once for every stored image, in any order, and stops at the
// first error fn returns (returning it) or when ctx is done.
type Items func(ctx context.Context, fn func(Item) error) error

// Progress is told how many of total units of work are done. It is called
// from worker goroutines, but never by two at once.
type Progress func(done, total int)

// Options configures Groups.
type Options struct {
	// Threshold is D: two images whose cosine distance is ≤ D are joined.
	// It must be in [0, 2]; callers normally pass DefaultThreshold.
	Threshold float64
	// K is the number of neighbours first asked for each image (default
	// DefaultK); MaxK the most it is raised to (default DefaultMaxK, at
	// least K).
	K, MaxK int
	// Workers is the number of concurrent queries (default 2).
	Workers int
	// Progress, when set, follows the queries (one unit per distinct image)
	// and then the distances to the kept members.
	Progress Progress
}

// Kind says why a group's members belong together.
type Kind string

const (
	// Identical groups hold files with the same SHA-256.
	Identical Kind = "identical"
	// Near groups hold images joined by cosine distances ≤ D.
	Near Kind = "near"
)

// Member is one image of a group.
type Member struct {
	ID     string `json:"id"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Keep   bool   `json:"keep"`
	// Distance is the cosine distance to the kept member (0 for the kept
	// member and in identical groups).
	Distance float32 `json:"distance"`
	// Copies, in a near group, counts the other files byte-identical to this
	// member; they are listed in their own identical group.
	Copies int `json:"copies,omitempty"`
}

// Group is a set of duplicates: the kept member first, then the others by
// distance to it and id.
type Group struct {
	Kind    Kind     `json:"kind"`
	Keep    string   `json:"keep"`
	Members []Member `json:"members"`
}

// Stats describes the work Groups did.
type Stats struct {
	Items     int `json:"items"`     // images seen
	Identical int `json:"identical"` // files in identical groups that are not kept (skipped by the vector pass)
	Queried   int `json:"queried"`   // images whose neighbours were asked for
	Raised    int `json:"raised"`    // images asked again with a larger k
	Capped    int `json:"capped"`    // images whose MaxK-th neighbour was still within D
	Edges     int `json:"edges"`     // neighbour pairs within D found (each direction counts)
	InGroups  int `json:"in_groups"` // images that are members of some group
}

// Result is the outcome of Groups.
type Result struct {
	Threshold float64 `json:"threshold"`
	K         int     `json:"k"`
	MaxK      int     `json:"max_k"`
	Groups    []Group `json:"groups"`
	Stats     Stats   `json:"stats"`
}

func (o Options) withDefaults() (Options, error) {
	if math.IsNaN(o.Threshold) || o.Threshold < 0 || o.Threshold > 2 {
		return o, fmt.Errorf("%w: threshold %v is not a cosine distance in [0, 2]", ErrInvalidOptions, o.Threshold)
	}
	if o.K < 0 || o.MaxK < 0 || o.Workers < 0 {
		return o, fmt.Errorf("%w: negative K (%d), MaxK (%d) or Workers (%d)", ErrInvalidOptions, o.K, o.MaxK, o.Workers)
	}
	o.K = cmp.Or(o.K, DefaultK)
	o.MaxK = max(cmp.Or(o.MaxK, DefaultMaxK), o.K)
	o.Workers = cmp.Or(o.Workers, DefaultWorkers)
	return o, nil
}

// items is the compact in-memory table of the images: one slot each.
type items struct {
	ids    []string
	sha    [][32]byte
	hasSHA []bool
	w, h   []int32
	order  []int64
	slot   map[string]int32
}

func collect(ctx context.Context, it Items) (*items, error) {
	if it == nil {
		return nil, fmt.Errorf("%w: nil Items", ErrInvalidOptions)
	}
	t := &items{slot: map[string]int32{}}
	err := it(ctx, func(x Item) error {
		if _, dup := t.slot[x.ID]; dup {
			return fmt.Errorf("item %q listed twice", x.ID)
		}
		if len(t.ids) >= math.MaxInt32 {
			return fmt.Errorf("more than %d items", math.MaxInt32)
		}
		var sum [32]byte
		ok := len(x.SHA256) == 64
		if ok {
			_, err := hex.Decode(sum[:], []byte(x.SHA256))
			ok = err == nil
		}
		t.slot[x.ID] = int32(len(t.ids))
		t.ids = append(t.ids, x.ID)
		t.sha = append(t.sha, sum)
		t.hasSHA = append(t.hasSHA, ok)
		t.w = append(t.w, int32(min(max(x.Width, 0), math.MaxInt32)))
		t.h = append(t.h, int32(min(max(x.Height, 0), math.MaxInt32)))
		t.order = append(t.order, x.Order)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the images: %w", err)
	}
	return t, nil
}

// better reports whether slot a is to be kept rather than slot b: larger
// resolution, then older, then smaller id.
func (t *items) better(a, b int32) bool {
	aa, ab := int64(t.w[a])*int64(t.h[a]), int64(t.w[b])*int64(t.h[b])
	if aa != ab {
		return aa > ab
	}
	if t.order[a] != t.order[b] {
		return t.order[a] < t.order[b]
	}
	return t.ids[a] < t.ids[b]
}

func (t *items) member(s int32) Member {
	return Member{ID: t.ids[s], Width: int(t.w[s]), Height: int(t.h[s])}
}

// Groups finds the identical and near-duplicate groups among the images that
// items lists, asking nb for neighbours and dist for the distances to each
// group's kept member. See the package documentation for the method.
func Groups(ctx context.Context, it Items, nb Neighbours, dist Distance, opt Options) (*Result, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if nb == nil || dist == nil {
		return nil, fmt.Errorf("%w: nil Neighbours or Distance", ErrInvalidOptions)
	}
	t, err := collect(ctx, it)
	if err != nil {
		return nil, err
	}
	n := len(t.ids)
	res := &Result{Threshold: opt.Threshold, K: opt.K, MaxK: opt.MaxK, Groups: []Group{}}
	res.Stats.Items = n

	// Identical files: sort the slots with a hash by hash; runs of two or
	// more are groups. rep maps every slot to the slot that stands for it in
	// the vector pass (itself, or the kept file of its identical group).
	rep := make([]int32, n)
	for i := range rep {
		rep[i] = int32(i)
	}
	copies := map[int32]int{}
	hashed := make([]int32, 0, n)
	for i := range n {
		if t.hasSHA[i] {
			hashed = append(hashed, int32(i))
		}
	}
	slices.SortFunc(hashed, func(a, b int32) int {
		if c := bytes.Compare(t.sha[a][:], t.sha[b][:]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for lo := 0; lo < len(hashed); {
		hi := lo + 1
		for hi < len(hashed) && t.sha[hashed[hi]] == t.sha[hashed[lo]] {
			hi++
		}
		if hi-lo >= 2 {
			run := hashed[lo:hi]
			keep := run[0]
			for _, s := range run[1:] {
				if t.better(s, keep) {
					keep = s
				}
			}
			g := Group{Kind: Identical, Keep: t.ids[keep]}
			km := t.member(keep)
			km.Keep = true
			g.Members = append(g.Members, km)
			others := make([]int32, 0, len(run)-1)
			for _, s := range run {
				if s != keep {
					rep[s] = keep
					others = append(others, s)
				}
			}
			slices.SortFunc(others, func(a, b int32) int { return cmp.Compare(t.ids[a], t.ids[b]) })
			for _, s := range others {
				g.Members = append(g.Members, t.member(s))
			}
			copies[keep] = len(others)
			res.Stats.Identical += len(others)
			res.Groups = append(res.Groups, g)
		}
		lo = hi
	}
	hashed = nil

	// Vector pass over the distinct images.
	queries := make([]int32, 0, n-res.Stats.Identical)
	for i := range n {
		if rep[i] == int32(i) {
			queries = append(queries, int32(i))
		}
	}
	res.Stats.Queried = len(queries)
	uf := newUnionFind(n)
	var ufMu sync.Mutex
	var raised, capped, edges atomic.Int64
	prog := newProgress(opt.Progress, len(queries))
	d := float32(opt.Threshold)
	err = parallel(ctx, opt.Workers, len(queries), func(q int) error {
		s := queries[q]
		id := t.ids[s]
		k := opt.K
		var nbs []Neighbour
		for {
			var err error
			nbs, err = nb(ctx, id, k)
			if err != nil {
				return fmt.Errorf("neighbours of %q: %w", id, err)
			}
			full := len(nbs) >= k && nbs[len(nbs)-1].Distance <= d
			if !full {
				break
			}
			if k >= opt.MaxK {
				capped.Add(1)
				break
			}
			if k == opt.K {
				raised.Add(1)
			}
			k = min(2*k, opt.MaxK)
		}
		var joined []int32
		for _, x := range nbs {
			if x.Distance > d || x.ID == id {
				continue
			}
			j, ok := t.slot[x.ID]
			if !ok {
				return fmt.Errorf("neighbour %q of %q is not among the listed images (is the index out of date with the store?)", x.ID, id)
			}
			if r := rep[j]; r != s {
				joined = append(joined, r)
			}
		}
		if len(joined) > 0 {
			ufMu.Lock()
			for _, j := range joined {
				uf.union(s, j)
			}
			ufMu.Unlock()
			edges.Add(int64(len(joined)))
		}
		prog.step()
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Stats.Raised, res.Stats.Capped, res.Stats.Edges = int(raised.Load()), int(capped.Load()), int(edges.Load())

	// Components with two or more distinct images are near groups.
	size := make([]int32, n)
	for _, s := range queries {
		size[uf.find(s)]++
	}
	gi := map[int32]int{}
	var near [][]int32
	for _, s := range queries {
		r := uf.find(s)
		if size[r] < 2 {
			continue
		}
		g, ok := gi[r]
		if !ok {
			g = len(near)
			gi[r] = g
			near = append(near, make([]int32, 0, size[r]))
		}
		near[g] = append(near[g], s)
	}
	size, gi = nil, nil
	type job struct {
		group, member int
		keep, s       int32
	}
	var jobs []job
	first := len(res.Groups)
	for g, ms := range near {
		keep := ms[0]
		for _, s := range ms[1:] {
			if t.better(s, keep) {
				keep = s
			}
		}
		grp := Group{Kind: Near, Keep: t.ids[keep], Members: make([]Member, 0, len(ms))}
		km := t.member(keep)
		km.Keep, km.Copies = true, copies[keep]
		grp.Members = append(grp.Members, km)
		for _, s := range ms {
			if s == keep {
				continue
			}
			m := t.member(s)
			m.Copies = copies[s]
			jobs = append(jobs, job{group: first + g, member: len(grp.Members), keep: keep, s: s})
			grp.Members = append(grp.Members, m)
		}
		res.Groups = append(res.Groups, grp)
	}
	near = nil
	prog = newProgress(opt.Progress, len(jobs))
	err = parallel(ctx, opt.Workers, len(jobs), func(i int) error {
		j := jobs[i]
		v, err := dist(t.ids[j.keep], t.ids[j.s])
		if err != nil {
			return fmt.Errorf("distance from %q to %q: %w", t.ids[j.keep], t.ids[j.s], err)
		}
		res.Groups[j.group].Members[j.member].Distance = v
		prog.step()
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range res.Groups {
		g := &res.Groups[i]
		slices.SortStableFunc(g.Members[1:], func(a, b Member) int {
			if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		res.Stats.InGroups += len(g.Members)
	}
	slices.SortFunc(res.Groups, func(a, b Group) int {
		if c := cmp.Compare(len(b.Members), len(a.Members)); c != 0 {
			return c
		}
		if a.Kind != b.Kind {
			if a.Kind == Identical {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Keep, b.Keep)
	})
	// An image that is both the kept copy of an identical group and a member
	// of a near group is counted once.
	for _, g := range res.Groups {
		if g.Kind == Near {
			for _, m := range g.Members {
				if m.Copies > 0 {
					res.Stats.InGroups--
				}
			}
		}
	}
	return res, nil
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error (or ctx's), after which the remaining indexes are skipped.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	workers = max(1, min(workers, n, 4*runtime.GOMAXPROCS(0)))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				if ctx.Err() != nil {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// progress serialises and thins the calls to a Progress callback: at most
// about 200 calls per phase, and always the last one.
type progress struct {
	fn          Progress
	mu          sync.Mutex
	done, total int
	every       int
}

func newProgress(fn Progress, total int) *progress {
	p := &progress{fn: fn, total: total, every: max(1, total/200)}
	if fn != nil {
		fn(0, total)
	}
	return p
}

func (p *progress) step() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	p.done++
	if p.done%p.every == 0 || p.done == p.total {
		p.fn(p.done, p.total)
	}
	p.mu.Unlock()
}
