package cluster

import (
	"cmp"
	"fmt"
	"runtime"

	"github.com/vecimg/vecimg/internal/progress"
)

// Defaults used for zero-valued Options fields.
const (
	DefaultK                = 5
	DefaultSeed             = 42
	DefaultBatchSize        = 1024
	DefaultMaxIter          = 100
	DefaultNInit            = 10
	DefaultTol              = 1e-4
	DefaultRefine           = 20
	DefaultMemoryLimit      = 1 << 30
	DefaultSilhouetteSample = 2000
)

// Options configures Fit and Sweep. A zero field takes the default named in
// its comment, so Options{K: 8} is a complete configuration. Tol and Refine
// can be switched off with a negative value.
type Options struct {
	// K is the number of clusters (default 5). Sweep ignores it.
	K int `json:"k"`

	// Seed seeds every random choice: the seeding sample, k-means++, the
	// mini-batches and Sweep's silhouette sample (default 42; 0 also means
	// 42). The same Seed, Options and Source contents and order give the
	// same result on the same machine, whatever Workers is.
	Seed uint64 `json:"seed"`

	// BatchSize is the number of vectors per mini-batch step (default 1024).
	BatchSize int `json:"batch_size"`

	// MaxIter caps the mini-batch steps over the full data (default 100).
	MaxIter int `json:"max_iter"`

	// NInit is the number of initialisations: each is greedy k-means++
	// seeding on the seeding sample followed by Lloyd iterations on that
	// sample; the one with the lowest inertia on the sample is repaired
	// (see Fit) and starts the mini-batch steps (default 10, like
	// scikit-learn's KMeans).
	NInit int `json:"n_init"`

	// Tol stops the mini-batch steps early once the mean squared centre
	// movement of one step falls below Tol times the data's total variance
	// (the sum of per-dimension variances, estimated on the seeding sample).
	// Default 1e-4; negative runs all MaxIter steps.
	Tol float64 `json:"tol"`

	// Refine is the maximum number of Lloyd passes after the mini-batch
	// phase. Each pass streams over every vector once, assigns it to its
	// nearest centre and moves each centre to the mean of its members; the
	// passes stop early once no label changes (Result.Converged), and the
	// result is then a Lloyd fixed point, as full k-means returns. Default
	// 20; negative skips refinement (the result then comes from the
	// mini-batch centres plus one assigning pass).
	Refine int `json:"refine"`

	// Normalize scales every vector (and every centre) to unit length, which
	// turns squared Euclidean k-means into spherical (cosine) k-means.
	// Distances and inertia are then measured between unit vectors
	// (||x−c||² = 2 − 2·cos). Zero vectors stay zero. Default false: raw
	// vectors, squared Euclidean distance.
	Normalize bool `json:"normalize"`

	// Workers is the number of goroutines for distance computations
	// (default runtime.GOMAXPROCS(0)). It changes speed, never results.
	Workers int `json:"-"`

	// MemoryLimit is the number of bytes of vector data (N·Dim·4) up to
	// which Fit loads every vector into memory once (default 1 GiB). Above
	// it Fit streams: each pass calls Source.Scan, mini-batches are drawn
	// from a random sample of at most MemoryLimit/2 bytes that is redrawn
	// by a new Scan once used up, and passes buffer at most MemoryLimit/4
	// bytes at a time (at most 4096 rows); one mini-batch buffer is
	// allocated and refilled in place. In both modes Fit also keeps the
	// seeding sample (SampleSize vectors, plus for Sweep SilhouetteSample
	// vectors and their SilhouetteSample² distance matrix) and labels,
	// distances and ids (about 12 bytes plus the id per vector, 20 while
	// empty clusters are re-seeded). Vectors from FromSlices are used in
	// place, not copied, unless Normalize is set.
	MemoryLimit int64 `json:"-"`

	// SampleSize is the number of vectors sampled (seeded, uniformly) for
	// the initialisations (default max(3·BatchSize, 10·K), capped at the
	// number of vectors). Larger samples find better starting points on
	// noisy data at a cost of NInit·SampleSize·K·Dim multiply-adds per
	// Lloyd iteration on the sample.
	SampleSize int `json:"sample_size"`

	// SilhouetteSample is the number of vectors on which Sweep computes the
	// exact silhouette score (default 2000, capped at the number of vectors).
	SilhouetteSample int `json:"silhouette_sample"`

	// Progress, when set, is told what Fit and Sweep are doing (see
	// progress.Func and the Stage constants). Default nil: nothing is
	// reported. It never changes results; Result.Options has it nil.
	Progress progress.Func `json:"-"`
}

// DefaultOptions returns the defaults for k clusters, with every field
// spelled out (Workers and SampleSize depend on the machine and data and
// stay 0, meaning automatic).
func DefaultOptions(k int) Options {
	return Options{
		K: k, Seed: DefaultSeed, BatchSize: DefaultBatchSize, MaxIter: DefaultMaxIter,
		NInit: DefaultNInit, Tol: DefaultTol, Refine: DefaultRefine,
		MemoryLimit: DefaultMemoryLimit, SilhouetteSample: DefaultSilhouetteSample,
	}
}

// withDefaults validates o and fills defaults; n is the number of vectors (used to
// cap sample sizes).
func (o Options) withDefaults(n int) (Options, error) {
	bad := func(field string, v any) (Options, error) {
		return o, fmt.Errorf("%w: %s = %v must not be negative", ErrInvalidOptions, field, v)
	}
	switch {
	case o.K < 0:
		return bad("K", o.K)
	case o.BatchSize < 0:
		return bad("BatchSize", o.BatchSize)
	case o.MaxIter < 0:
		return bad("MaxIter", o.MaxIter)
	case o.NInit < 0:
		return bad("NInit", o.NInit)
	case o.Workers < 0:
		return bad("Workers", o.Workers)
	case o.MemoryLimit < 0:
		return bad("MemoryLimit", o.MemoryLimit)
	case o.SampleSize < 0:
		return bad("SampleSize", o.SampleSize)
	case o.SilhouetteSample < 0:
		return bad("SilhouetteSample", o.SilhouetteSample)
	}
	o.K = cmp.Or(o.K, DefaultK)
	o.Seed = cmp.Or(o.Seed, DefaultSeed)
	o.BatchSize = cmp.Or(o.BatchSize, DefaultBatchSize)
	o.MaxIter = cmp.Or(o.MaxIter, DefaultMaxIter)
	o.NInit = cmp.Or(o.NInit, DefaultNInit)
	o.Tol = cmp.Or(o.Tol, DefaultTol)
	o.Refine = cmp.Or(o.Refine, DefaultRefine)
	o.Workers = cmp.Or(o.Workers, runtime.GOMAXPROCS(0))
	o.MemoryLimit = cmp.Or(o.MemoryLimit, DefaultMemoryLimit)
	if o.SampleSize == 0 {
		o.SampleSize = max(3*o.BatchSize, 10*o.K)
	}
	o.SampleSize = min(max(o.SampleSize, o.K), n)
	if o.SilhouetteSample == 0 {
		o.SilhouetteSample = DefaultSilhouetteSample
	}
	o.SilhouetteSample = min(o.SilhouetteSample, n)
	return o, nil
}
