package dedup

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vecimg/vecimg/internal/phash"
	"github.com/vecimg/vecimg/internal/progress"
)

// Defaults for Options and OutlierOptions.
const (
	// DefaultThreshold, DefaultPHash and DefaultDHash are the thresholds
	// used without a calibration (`vecimg dups --calibrate` measures the
	// store's own model on its own images). They were measured with
	// bench/dups/run.sh on 100 dev-set photos and 800 copies (JPEG q30, half
	// size, crop, ±20% brightness, gray, watermark, mirror), with the seeded
	// VGG16 weights CI uses: pair precision 1.000, recall 0.79 of the groups;
	// the dev-set's near-identical shots of one scene count against them.
	// The hash thresholds do not depend on the model. D does: 0.001 kept
	// precision 1.000 there and with the real-shaped seeded network (preset
	// imagenet) of the earlier calibration, where the former default 0.004
	// fell to 0.88 with the CI weights. dHash ≤ 5 found the same pairs as
	// ≤ 6 there and is 3 probes of 22 per image and band instead of 232 in
	// the banded lookup (a million images: seconds instead of a minute and
	// a half). The pHash threshold (the comparisons include the cropped
	// one since the centre pHash) is DefaultPHash on up to LargeStore
	// images, DefaultPHashLarge above (DefaultPHashFor): on the
	// held-back-shaped tuning split of bench/dups (docs/duplicates.md) ≤ 8
	// was the first to reach recall 0.85 (0.885, precision 1.000; crops
	// 0.54), ≤ 4 reached 0.785 (crops 0.15); but the banded lookup at ≤ 8
	// took 19 s per 100,000 images and grows faster than the images, while
	// ≤ 4 took 85 s per million. Off is a threshold that disables a signal.
	DefaultThreshold  = 0.001
	DefaultPHash      = 8
	DefaultPHashLarge = 4
	LargeStore        = 100_000
	DefaultDHash      = 5
	Off               = -1
	DefaultK          = 16  // first number of neighbours asked per image
	DefaultMaxK       = 256 // cap of the adaptive k
	DefaultWorkers    = 2
	DefaultOutlierK   = 5
	DefaultOutlierN   = 20
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
	// Path is the source file; only read by KeepUnder.
	Path string
	// Hashes are the image's perceptual hashes, when Hashed.
	Hashes phash.Hashes
	Hashed bool
}

// Items calls fn once for every stored image, in any order, and stops at the
// first error fn returns (returning it) or when ctx is done.
type Items func(ctx context.Context, fn func(Item) error) error

// The stages Groups and Outliers report to their Options' Progress (a
// progress.Func, called from worker goroutines but never by two at once):
// Groups asks every distinct image for its neighbours (StageNeighbours,
// images), when it matches by vector, then measures each member's distance
// to its group's kept image (StageDistances, members); Outliers asks every
// image for its neighbours (StageOutliers, images). Each begins at 0 and
// ends with done = total unless the run fails.
const (
	StageNeighbours = "neighbours"
	StageDistances  = "distances"
	StageOutliers   = "outliers"
)

// KeepRule says which member of a group is kept.
type KeepRule int

const (
	// KeepLargest keeps the largest resolution (width × height), then the
	// oldest, then the smallest id.
	KeepLargest KeepRule = iota
	// KeepOldest keeps the oldest (smallest Order), then the largest.
	KeepOldest
	// KeepNewest keeps the newest, then the largest.
	KeepNewest
	// KeepUnder keeps a file under Options.KeepUnder, then the largest.
	KeepUnder
)

// Options configures Groups.
type Options struct {
	// Threshold is D: two images whose cosine distance is ≤ D match by
	// their vectors. It must be in [0, 2]; callers normally pass
	// DefaultThreshold. Off (or any negative value) leaves vectors out.
	Threshold float64
	// PHash and DHash are the Hamming thresholds of the hash signals: two
	// images match when the pHash distance (phash.PDistance: direct, mirrored or cropped) is ≤
	// PHash, or the dHash distance ≤ DHash. Off (negative) disables one.
	// At most 15. Images without hashes match by their vectors only.
	PHash, DHash int
	// K is the number of neighbours first asked for each image (default
	// DefaultK); MaxK the most it is raised to (default DefaultMaxK, at
	// least K).
	K, MaxK int
	// Workers is the number of concurrent queries (default 2).
	Workers int
	// Keep chooses the kept member of each group; KeepUnder is the folder
	// (a cleaned path) for the KeepUnder rule.
	Keep      KeepRule
	KeepUnder string
	// Progress, when set, follows the queries (StageNeighbours) and then
	// the distances to the kept members (StageDistances).
	Progress progress.Func
}

// Kind says why a group's members belong together.
type Kind string

const (
	// Identical groups hold files with the same SHA-256.
	Identical Kind = "identical"
	// Near groups hold images that each match the kept image.
	Near Kind = "near"
)

// Signals a member can match its kept image by (Member.MatchedBy).
const (
	BySHA256 = "sha256"
	ByVector = "vector"
	ByPHash  = "phash"
	ByDHash  = "dhash"
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
	// PHash and DHash are the Hamming distances of the hashes to the kept
	// member's (PHash the smallest of the direct, mirrored and cropped
	// comparisons, phash.PMatch: Mirrored or Cropped true when that one was
	// smaller); -1 when either image has no hashes.
	PHash    int  `json:"phash_distance"`
	DHash    int  `json:"dhash_distance"`
	Mirrored bool `json:"mirrored,omitempty"`
	Cropped  bool `json:"cropped,omitempty"`
	// MatchedBy lists the signals within their thresholds (ByVector,
	// ByPHash, ByDHash; BySHA256 in identical groups); empty for the kept
	// member.
	MatchedBy []string `json:"matched_by,omitempty"`
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
	Identical int `json:"identical"` // files in identical groups that are not kept (skipped by the other passes)
	Hashed    int `json:"hashed"`    // images with perceptual hashes
	Queried   int `json:"queried"`   // images whose neighbours were asked for
	Raised    int `json:"raised"`    // images asked again with a larger k
	Capped    int `json:"capped"`    // images whose MaxK-th neighbour was still within D
	Edges     int `json:"edges"`     // neighbour pairs within D found (each direction counts)
	// HashPairs counts the pairs within a hash threshold, HashProbed the
	// candidate pairs the banded lookup checked to find them.
	HashPairs  int `json:"hash_pairs"`
	HashProbed int `json:"hash_probed"`
	Pairs      int `json:"pairs"`     // distinct matching pairs, all signals
	InGroups   int `json:"in_groups"` // images that are members of some group
	// Chained counts members that match no signal against their kept image;
	// star grouping makes it 0, and Groups verifies it.
	Chained int `json:"chained"`
}

// Result is the outcome of Groups.
type Result struct {
	Threshold float64 `json:"threshold"`
	PHash     int     `json:"phash"`
	DHash     int     `json:"dhash"`
	K         int     `json:"k"`
	MaxK      int     `json:"max_k"`
	Groups    []Group `json:"groups"`
	Stats     Stats   `json:"stats"`
}

// maxHash is the largest hash threshold.
const maxHash = 15

func (o Options) withDefaults() (Options, error) {
	if math.IsNaN(o.Threshold) || o.Threshold > 2 {
		return o, fmt.Errorf("%w: threshold %v is not a cosine distance in [0, 2]", ErrInvalidOptions, o.Threshold)
	}
	if o.Threshold < 0 {
		o.Threshold = Off
	}
	if o.PHash > maxHash || o.DHash > maxHash {
		return o, fmt.Errorf("%w: hash thresholds %d, %d: at most %d of 64 bits", ErrInvalidOptions, o.PHash, o.DHash, maxHash)
	}
	o.PHash, o.DHash = max(o.PHash, Off), max(o.DHash, Off)
	if o.Threshold < 0 && o.PHash < 0 && o.DHash < 0 {
		return o, fmt.Errorf("%w: every signal is off", ErrInvalidOptions)
	}
	if o.K < 0 || o.MaxK < 0 || o.Workers < 0 {
		return o, fmt.Errorf("%w: negative K (%d), MaxK (%d) or Workers (%d)", ErrInvalidOptions, o.K, o.MaxK, o.Workers)
	}
	if o.Keep < KeepLargest || o.Keep > KeepUnder || (o.Keep == KeepUnder) != (o.KeepUnder != "") {
		return o, fmt.Errorf("%w: keep rule %d with folder %q", ErrInvalidOptions, o.Keep, o.KeepUnder)
	}
	o.K = cmp.Or(o.K, DefaultK)
	o.MaxK = max(cmp.Or(o.MaxK, DefaultMaxK), o.K)
	o.Workers = cmp.Or(o.Workers, DefaultWorkers)
	return o, nil
}

// DefaultPHashFor is the default pHash threshold for a store of n images:
// DefaultPHash up to LargeStore images, DefaultPHashLarge above, where the
// banded lookup at the higher threshold would cost minutes.
func DefaultPHashFor(n int) int {
	if n > LargeStore {
		return DefaultPHashLarge
	}
	return DefaultPHash
}

// items is the compact in-memory table of the images: one slot each.
type items struct {
	ids    []string
	sha    [][32]byte
	hasSHA []bool
	w, h   []int32
	order  []int64
	under  []bool // KeepUnder: the file lies under the folder
	hashes []phash.Hashes
	hashed []bool
	slot   map[string]int32
	rule   KeepRule
}

func collect(ctx context.Context, it Items, o Options) (*items, error) {
	if it == nil {
		return nil, fmt.Errorf("%w: nil Items", ErrInvalidOptions)
	}
	t := &items{slot: map[string]int32{}, rule: o.Keep}
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
		t.hashes = append(t.hashes, x.Hashes)
		t.hashed = append(t.hashed, x.Hashed)
		if o.Keep == KeepUnder {
			t.under = append(t.under, isUnder(x.Path, o.KeepUnder))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the images: %w", err)
	}
	return t, nil
}

// isUnder reports whether path lies in dir or below it.
func isUnder(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// better reports whether slot a is to be kept rather than slot b, by the
// keep rule, then larger resolution, then older, then smaller id.
func (t *items) better(a, b int32) bool {
	switch t.rule {
	case KeepOldest, KeepNewest:
		if t.order[a] != t.order[b] {
			return (t.order[a] < t.order[b]) == (t.rule == KeepOldest)
		}
	case KeepUnder:
		if t.under[a] != t.under[b] {
			return t.under[a]
		}
	}
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
	return Member{ID: t.ids[s], Width: int(t.w[s]), Height: int(t.h[s]), PHash: -1, DHash: -1}
}

// match is what is known about one pair of slots.
type match struct {
	vector bool    // cosine distance ≤ D, from a neighbour query
	dist   float32 // that distance, when vector
}

// pairKey orders a pair of slots.
func pairKey(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(uint32(b))
}

// Groups finds the identical and near-duplicate groups among the images that
// items lists, asking nb for neighbours and dist for the distances to each
// group's kept member. See the package documentation for the method.
func Groups(ctx context.Context, it Items, nb Neighbours, dist Distance, opt Options) (*Result, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if dist == nil || (nb == nil && opt.Threshold >= 0) {
		return nil, fmt.Errorf("%w: nil Neighbours or Distance", ErrInvalidOptions)
	}
	t, err := collect(ctx, it, opt)
	if err != nil {
		return nil, err
	}
	n := len(t.ids)
	res := &Result{Threshold: opt.Threshold, PHash: opt.PHash, DHash: opt.DHash, K: opt.K, MaxK: opt.MaxK, Groups: []Group{}}
	res.Stats.Items = n
	for _, h := range t.hashed {
		if h {
			res.Stats.Hashed++
		}
	}

	rep, copies := identicalGroups(t, res)
	// The distinct images: each identical group stands for itself through
	// its kept file.
	reps := make([]int32, 0, n-res.Stats.Identical)
	for i := range n {
		if rep[i] == int32(i) {
			reps = append(reps, int32(i))
		}
	}
	pairs := map[uint64]match{}
	if opt.Threshold >= 0 {
		if err := vectorPairs(ctx, t, reps, rep, nb, opt, pairs, res); err != nil {
			return nil, err
		}
	}
	if opt.PHash >= 0 || opt.DHash >= 0 {
		hashPairs(t, reps, opt, pairs, res)
	}
	res.Stats.Pairs = len(pairs)
	if err := starGroups(ctx, t, reps, copies, pairs, dist, opt, res); err != nil {
		return nil, err
	}
	sortGroups(res)
	return res, nil
}

// identicalGroups files runs of equal SHA-256 as identical groups. It
// returns, for every slot, the slot that stands for it in the other passes
// (itself, or the kept file of its identical group), and the number of
// copies each kept file has.
func identicalGroups(t *items, res *Result) (rep []int32, copies map[int32]int) {
	n := len(t.ids)
	rep = make([]int32, n)
	for i := range rep {
		rep[i] = int32(i)
	}
	copies = map[int32]int{}
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
			km.Keep, km.PHash, km.DHash = true, 0, 0
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
				m := t.member(s)
				m.PHash, m.DHash, m.MatchedBy = 0, 0, []string{BySHA256}
				g.Members = append(g.Members, m)
			}
			copies[keep] = len(others)
			res.Stats.Identical += len(others)
			res.Groups = append(res.Groups, g)
		}
		lo = hi
	}
	return rep, copies
}

// vectorPairs asks every distinct image for its neighbours within D and
// records the pairs, raising k while the k-th neighbour is still within D.
func vectorPairs(ctx context.Context, t *items, reps, rep []int32, nb Neighbours, opt Options, pairs map[uint64]match, res *Result) error {
	res.Stats.Queried = len(reps)
	var mu sync.Mutex
	var raised, capped, edges atomic.Int64
	prog := newProgress(opt.Progress, StageNeighbours, len(reps))
	d := float32(opt.Threshold)
	err := parallel(ctx, opt.Workers, len(reps), func(q int) error {
		s := reps[q]
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
		type hit struct {
			j int32
			d float32
		}
		var found []hit
		for _, x := range nbs {
			if x.Distance > d || x.ID == id {
				continue
			}
			j, ok := t.slot[x.ID]
			if !ok {
				return fmt.Errorf("neighbour %q of %q is not among the listed images (is the index out of date with the store?)", x.ID, id)
			}
			if r := rep[j]; r != s {
				found = append(found, hit{r, x.Distance})
			}
		}
		if len(found) > 0 {
			mu.Lock()
			for _, h := range found {
				pairs[pairKey(s, h.j)] = match{vector: true, dist: h.d}
			}
			mu.Unlock()
			edges.Add(int64(len(found)))
		}
		prog.step()
		return nil
	})
	res.Stats.Raised, res.Stats.Capped, res.Stats.Edges = int(raised.Load()), int(capped.Load()), int(edges.Load())
	return err
}

// hashPairs finds the pairs of distinct hashed images within a hash
// threshold through banded lookups (bandIndex), never comparing all pairs,
// and records them.
func hashPairs(t *items, reps []int32, opt Options, pairs map[uint64]match, res *Result) {
	var slots []int32
	for _, s := range reps {
		if t.hashed[s] {
			slots = append(slots, s)
		}
	}
	if len(slots) < 2 {
		return
	}
	seen := make([]int32, len(slots)) // per query: the last query that met an entry
	for i := range seen {
		seen[i] = -1
	}
	found := 0
	add := func(a, b int32) {
		k := pairKey(a, b)
		if _, ok := pairs[k]; !ok {
			pairs[k] = match{}
		}
		found++
	}
	probed := 0
	if opt.PHash >= 0 {
		// Every image under its pHash, its mirrored pHash and its centre
		// pHash: entries 3i, 3i+1 and 3i+2 are slot i's.
		hs := make([]uint64, 0, 3*len(slots))
		for _, s := range slots {
			hs = append(hs, t.hashes[s].PHash, t.hashes[s].PMirror, t.hashes[s].PCentre)
		}
		x := newBandIndex(hs, opt.PHash)
		for q, s := range slots {
			check := func(e int32) {
				j := e / 3
				if int(j) <= q || seen[j] == int32(q) {
					return
				}
				seen[j] = int32(q)
				// Mirrored against mirrored (or centre) passes the band
				// filter too: keep the comparisons PDistance makes.
				if phash.PDistance(t.hashes[s], t.hashes[slots[j]]) <= opt.PHash {
					add(s, slots[j])
				}
			}
			// The mirrored and centre pHashes find the pairs where only
			// mirror(a) ≈ b or centre(a) ≈ b; the pHash query finds those
			// where a ≈ mirror(b) or a ≈ centre(b) (each pair is checked
			// from its first slot's query).
			x.probe(t.hashes[s].PHash, check)
			x.probe(t.hashes[s].PMirror, check)
			x.probe(t.hashes[s].PCentre, check)
		}
		probed += x.checked
	}
	if opt.DHash >= 0 {
		for i := range seen {
			seen[i] = -1
		}
		hs := make([]uint64, len(slots))
		for i, s := range slots {
			hs[i] = t.hashes[s].DHash
		}
		x := newBandIndex(hs, opt.DHash)
		for q, s := range slots {
			x.probe(hs[q], func(j int32) {
				if int(j) <= q || seen[j] == int32(q) {
					return
				}
				seen[j] = int32(q)
				add(s, slots[j])
			})
		}
		probed += x.checked
	}
	res.Stats.HashPairs, res.Stats.HashProbed = found, probed
}

// starGroups makes the near groups without chains: the distinct images are
// visited best first (by the keep rule); an image not yet in a group that
// matches others not yet in a group becomes the kept image of a group of
// exactly those. Every member therefore matches its kept image directly,
// whatever matches among the members. Then it fills in every member's
// distances to its kept image and the signals that matched.
func starGroups(ctx context.Context, t *items, reps []int32, copies map[int32]int, pairs map[uint64]match, dist Distance, opt Options, res *Result) error {
	n := len(t.ids)
	deg := make([]int32, n+1)
	for k := range pairs {
		deg[int32(k>>32)+1]++
		deg[int32(uint32(k))+1]++
	}
	for i := 1; i <= n; i++ {
		deg[i] += deg[i-1]
	}
	adj := make([]int32, deg[n])
	next := slices.Clone(deg[:n])
	for k := range pairs {
		a, b := int32(k>>32), int32(uint32(k))
		adj[next[a]] = b
		next[a]++
		adj[next[b]] = a
		next[b]++
	}
	next = nil
	order := slices.Clone(reps)
	slices.SortFunc(order, func(a, b int32) int {
		if t.better(a, b) {
			return -1
		}
		if t.better(b, a) {
			return 1
		}
		return 0
	})
	grouped := make([]bool, n)
	type job struct {
		group, member int
		keep, s       int32
	}
	var jobs []job
	for _, s := range order {
		if grouped[s] {
			continue
		}
		var ms []int32
		for _, j := range adj[deg[s]:deg[s+1]] {
			if !grouped[j] {
				ms = append(ms, j)
			}
		}
		if len(ms) == 0 {
			continue
		}
		slices.Sort(ms)
		ms = slices.Compact(ms)
		grouped[s] = true
		g := Group{Kind: Near, Keep: t.ids[s], Members: make([]Member, 0, len(ms)+1)}
		km := t.member(s)
		km.Keep, km.Copies = true, copies[s]
		if t.hashed[s] {
			km.PHash, km.DHash = 0, 0
		}
		g.Members = append(g.Members, km)
		for _, j := range ms {
			grouped[j] = true
			m := t.member(j)
			m.Copies = copies[j]
			if t.hashed[s] && t.hashed[j] {
				a, b := t.hashes[s], t.hashes[j]
				var how phash.How
				m.PHash, how = phash.PMatch(a, b)
				m.Mirrored, m.Cropped = how == phash.Mirrored, how == phash.Cropped
				m.DHash = hamming(a.DHash, b.DHash)
			}
			jobs = append(jobs, job{group: len(res.Groups), member: len(g.Members), keep: s, s: j})
			g.Members = append(g.Members, m)
		}
		res.Groups = append(res.Groups, g)
	}
	prog := newProgress(opt.Progress, StageDistances, len(jobs))
	err := parallel(ctx, opt.Workers, len(jobs), func(i int) error {
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
		return err
	}
	for _, j := range jobs {
		m := &res.Groups[j.group].Members[j.member]
		if opt.Threshold >= 0 && float64(m.Distance) <= opt.Threshold {
			m.MatchedBy = append(m.MatchedBy, ByVector)
		}
		if opt.PHash >= 0 && m.PHash >= 0 && m.PHash <= opt.PHash {
			m.MatchedBy = append(m.MatchedBy, ByPHash)
		}
		if opt.DHash >= 0 && m.DHash >= 0 && m.DHash <= opt.DHash {
			m.MatchedBy = append(m.MatchedBy, ByDHash)
		}
		if len(m.MatchedBy) == 0 {
			res.Stats.Chained++
		}
	}
	return nil
}

// sortGroups orders each group's members (kept first, then by distance and
// id) and the groups (largest first, identical before near, then by the
// kept id), and counts the images in groups.
func sortGroups(res *Result) {
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

// stageProgress serialises and thins the calls to a progress.Func for one
// stage: at most about 200 calls, and always the last one.
type stageProgress struct {
	fn          progress.Func
	stage       string
	mu          sync.Mutex
	done, total int
	every       int
}

func newProgress(fn progress.Func, stage string, total int) *stageProgress {
	p := &stageProgress{fn: fn, stage: stage, total: total, every: max(1, total/200)}
	fn.Report(stage, 0, int64(total))
	return p
}

func (p *stageProgress) step() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	p.done++
	if p.done%p.every == 0 || p.done == p.total {
		p.fn(p.stage, int64(p.done), int64(p.total))
	}
	p.mu.Unlock()
}
