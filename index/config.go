package index

import (
	"cmp"
	"fmt"
	"math"
)

// Config holds the HNSW parameters. The zero value of every field means "use
// the default"; DefaultConfig returns the defaults filled in.
type Config struct {
	// M is the number of neighbours a node keeps on the upper layers; the
	// bottom layer keeps up to 2*M. Larger M raises recall and memory use and
	// slows building. Default 32; allowed 2..128.
	M int
	// EfConstruction is the candidate-list size used while inserting. Larger
	// values build a better graph, more slowly. Default 200; at least M.
	EfConstruction int
	// EfSearch is the default candidate-list size of a search. Larger
	// values raise recall and latency. Default 0 = automatic: the breadth
	// the index tuned for itself (see Tuning), or, for an index never
	// tuned, 128 up to 200,000 vectors and 256 above. On 100,000 vectors fitted to real fc6 features recall@10
	// (200 held-out queries, re-ranked) was 0.984 at 64 and 0.9915 at 128,
	// at 2.3 and 3.0 ms per query through the store (bench/synth/query);
	// hnswlib on the same vectors: 0.969 and 0.985. The walk to the true
	// neighbours gets longer with the size of the graph: at 1M, before the
	// short-list filling of keepPruned, 128 gave 0.931.
	EfSearch int
	// ExactBelow: while the index holds fewer live vectors than this, Search
	// compares the query with every code instead of walking the graph (then
	// re-ranks as usual): below it the scan is as fast and misses nothing
	// the codes can tell apart. With 4096-byte codes (the worst case) the
	// scan took 0.33 ms against 0.41 for the walk at 1,000 vectors and
	// 0.71 against 0.63 at 2,000 (BenchmarkCrossover). Use a negative value
	// to always walk the graph. Default 2000.
	ExactBelow int
	// Seed seeds the level generator and the codebook training. The index
	// is a deterministic function of Seed, the configuration and the
	// sequence of calls. Default 0 is a valid seed (it is not replaced).
	Seed uint64
	// CodeDim is the number of principal components kept in each vector's
	// code (one int8 each). It is capped at the vector dimension; equal to
	// it, codes are the whole centred vector quantised to int8 (no
	// projection). Default 0 = automatic: for vectors of more than 256
	// dimensions, the 252 leading components when
	// they carry at least 90% of the training sample's variance (fc6
	// features: 97-99%), the whole vector otherwise (flat spectra, such
	// as isotropic mixtures, where a projection would lose the neighbours).
	CodeDim int
	// Rerank caps the exact vectors one graph search reads. A search reads
	// its candidates in the order of the lower bound of their exact
	// distance and stops as soon as the next bound is above the k-th exact
	// distance found (see the package documentation), which on image sets
	// takes far fewer; the cap only guards against a pathological walk, and
	// a search it stops says so (SearchStats.Capped). A search's cap is
	// never below its ef (unless SearchOptions.Rerank says so), and exact
	// searches are never capped. Default 512.
	Rerank int
	// TrainSample is the largest number of vectors the codebook (mean and
	// principal directions) is trained on. Default 10000.
	TrainSample int
}

// Defaults. See Config for what each one means.
const (
	DefaultM              = 32
	DefaultEfConstruction = 200
	DefaultEfSearch       = 0 // automatic, see Config.EfSearch
	DefaultExactBelow     = 2000
	// DefaultCodeDim is the number of principal components an automatic
	// code dimension keeps: 252 int8 and the float32 bias make a row of
	// 256 bytes, four cache lines (see rowLen).
	DefaultCodeDim     = 252
	DefaultRerank      = 512
	DefaultTrainSample = 10000

	maxM  = 128
	maxEf = 1 << 16
)

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{M: DefaultM, EfConstruction: DefaultEfConstruction, EfSearch: DefaultEfSearch, ExactBelow: DefaultExactBelow,
		Rerank: DefaultRerank, TrainSample: DefaultTrainSample}
}

// withDefaults fills zero fields with defaults and checks the ranges.
func (c Config) withDefaults() (Config, error) {
	c.M = cmp.Or(c.M, DefaultM)
	c.EfConstruction = cmp.Or(c.EfConstruction, DefaultEfConstruction)
	c.ExactBelow = cmp.Or(c.ExactBelow, DefaultExactBelow)
	c.Rerank = cmp.Or(c.Rerank, DefaultRerank)
	c.TrainSample = cmp.Or(c.TrainSample, DefaultTrainSample)
	if c.ExactBelow < 0 {
		c.ExactBelow = -1
	}
	switch {
	case c.M < 2 || c.M > maxM:
		return c, fmt.Errorf("%w: M = %d, want 2..%d", ErrConfig, c.M, maxM)
	case c.EfConstruction < c.M || c.EfConstruction > maxEf:
		return c, fmt.Errorf("%w: EfConstruction = %d, want %d..%d", ErrConfig, c.EfConstruction, c.M, maxEf)
	case c.EfSearch < 0 || c.EfSearch > maxEf:
		return c, fmt.Errorf("%w: EfSearch = %d, want 0 (automatic) or 1..%d", ErrConfig, c.EfSearch, maxEf)
	case c.CodeDim < 0 || c.CodeDim > MaxDim:
		return c, fmt.Errorf("%w: CodeDim = %d, want 0..%d", ErrConfig, c.CodeDim, MaxDim)
	case c.Rerank < 1 || c.Rerank > maxEf:
		return c, fmt.Errorf("%w: Rerank = %d, want 1..%d", ErrConfig, c.Rerank, maxEf)
	case c.TrainSample < 2 || c.TrainSample > 1<<20:
		return c, fmt.Errorf("%w: TrainSample = %d, want 2..%d", ErrConfig, c.TrainSample, 1<<20)
	case c.ExactBelow > math.MaxInt32:
		return c, fmt.Errorf("%w: ExactBelow = %d, want at most %d", ErrConfig, c.ExactBelow, math.MaxInt32)
	}
	return c, nil
}

// m0 is the bottom layer's neighbour limit.
func (c Config) m0() int { return 2 * c.M }

// levelMult is the level-generation factor mL = 1/ln(M) recommended by the
// HNSW paper.
func (c Config) levelMult() float64 { return 1 / math.Log(float64(c.M)) }

// codeDim returns the code dimension to train for vectors of dimension dim
// and whether it is automatic. An automatic code keeps the whole vector up
// to 256 dimensions, where projecting would drop a few components to save
// as few bytes.
func (c Config) codeDim(dim int) (int, bool) {
	if c.CodeDim == 0 {
		if dim <= 256 {
			return dim, true
		}
		return DefaultCodeDim, true
	}
	return min(dim, c.CodeDim), false
}

// efFor returns the search breadth for an index of live vectors.
func (c Config) efFor(live int) int {
	switch {
	case c.EfSearch > 0:
		return c.EfSearch
	case live > 200000:
		return 256
	}
	return 128
}
