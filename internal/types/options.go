package types

// ClusterParams are the k-means settings the front ends choose. A zero
// field takes its default (DefaultK, DefaultSeed, ...); Refine < 0 skips
// the Lloyd refinement.
type ClusterParams struct {
	K         int
	Seed      uint64
	BatchSize int  // vectors per mini-batch step
	MaxIter   int  // mini-batch steps per initialisation
	NInit     int  // initialisations; the best is kept
	Refine    int  // Lloyd passes at most
	Normalize bool // cosine (spherical) k-means on unit-length vectors
}

// SessionOptions choose where and how the model runs.
type SessionOptions struct {
	Device  string // auto (default), cpu, cuda, cuda:N
	Threads int    // CPU intra-op threads; 0 = number of CPUs
	// CUDA only:
	TF32           bool   // allow TF32 tensor-core math for fp32 convolutions and GEMMs
	ConvAlgoSearch string // cuDNN conv algorithm search: EXHAUSTIVE (default), HEURISTIC or DEFAULT
}

// ShardSpec is one shard of an ingested folder: Index of Count (the zero
// ShardSpec is the whole folder).
type ShardSpec struct {
	Index, Count int
	// Source says where Index and Count came from: "--shard", or the
	// environment variables that "auto" read.
	Source string
}
