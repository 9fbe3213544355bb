package index

import (
	"fmt"
	"math"
)

// Config holds the HNSW parameters. The zero value of every field means "use
// the default"; DefaultConfig returns the defaults filled in.
type Config struct {
	// M is the number of neighbours a node keeps on the upper layers; the
	// bottom layer keeps up to 2*M. Larger M raises recall and memory use and
	// slows building. Default 16; allowed 2..128.
	M int
	// EfConstruction is the candidate-list size used while inserting. Larger
	// values build a better graph, more slowly. Default 200; at least M.
	EfConstruction int
	// EfSearch is the default candidate-list size of a search (raised to k
	// when k is larger). Larger values raise recall and latency. Default 64:
	// on the 20,000 × 4096 benchmark set recall@10 was 0.979 at 16, 0.9945
	// at 24 and 1.0 from 48 up (bench/index.sh); 64 leaves a margin for
	// real embeddings, which can be harder, at about 1 ms per query.
	EfSearch int
	// ExactBelow: while the index holds fewer live vectors than this, Search
	// scans all vectors exactly instead of walking the graph: below it the
	// scan is as fast or faster and always right. On 2 cores at dimension
	// 4096 the scan won up to 2,000 vectors (0.50 ms against 0.69 ms) and
	// lost at 4,000 (1.25 against 0.94 ms; BenchmarkCrossover). Use a
	// negative value to always walk the graph. Default 3000.
	ExactBelow int
	// Seed seeds the level generator. The graph is a deterministic function
	// of Seed, the configuration and the sequence of Add/Delete calls.
	// Default 0 is a valid seed (it is not replaced).
	Seed uint64
}

// Defaults. See Config for what each one means.
const (
	DefaultM              = 16
	DefaultEfConstruction = 200
	DefaultEfSearch       = 64
	DefaultExactBelow     = 3000

	maxM  = 128
	maxEf = 1 << 16
)

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{M: DefaultM, EfConstruction: DefaultEfConstruction, EfSearch: DefaultEfSearch, ExactBelow: DefaultExactBelow}
}

// withDefaults fills zero fields with defaults and checks the ranges.
func (c Config) withDefaults() (Config, error) {
	if c.M == 0 {
		c.M = DefaultM
	}
	if c.EfConstruction == 0 {
		c.EfConstruction = DefaultEfConstruction
	}
	if c.EfSearch == 0 {
		c.EfSearch = DefaultEfSearch
	}
	if c.ExactBelow == 0 {
		c.ExactBelow = DefaultExactBelow
	}
	if c.ExactBelow < 0 {
		c.ExactBelow = -1
	}
	switch {
	case c.M < 2 || c.M > maxM:
		return c, fmt.Errorf("%w: M = %d, want 2..%d", ErrConfig, c.M, maxM)
	case c.EfConstruction < c.M || c.EfConstruction > maxEf:
		return c, fmt.Errorf("%w: EfConstruction = %d, want %d..%d", ErrConfig, c.EfConstruction, c.M, maxEf)
	case c.EfSearch < 1 || c.EfSearch > maxEf:
		return c, fmt.Errorf("%w: EfSearch = %d, want 1..%d", ErrConfig, c.EfSearch, maxEf)
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
