// Package index answers nearest-neighbour queries over fixed-dimension
// float32 vectors (the store's image embeddings) without holding a copy of
// them: it keeps compact codes and a graph, and asks the store for the few
// exact vectors an answer needs.
//
// It owns:
//
//   - a codebook trained on a sample (codebook.go, pca.go): vectors are
//     normalised, centred on the sample mean μ, projected on the sample's
//     252 leading principal directions (randomised subspace iteration) and
//     quantised to int8 per component; the exact μ·(x − μ) ends each code's
//     row (256 bytes: four cache lines per distance), so an approximate dot
//     product is one int8 × float32 kernel (AVX2, kernel_amd64.s) plus two
//     scalars. When those directions carry less than 90% of the variance
//     (flat spectra), or vectors have 256 dimensions or fewer, the code is
//     the whole centred vector in int8 instead. A fine code (the
//     quantisation error quantised again) is kept in rows of its own, read
//     only for a search's candidates;
//   - an HNSW graph (Malkov & Yashunin, 2016/2018) walked on the codes:
//     layered graph, heuristic neighbour selection (their algorithm 4),
//     ef-bounded best-first search, parallel but deterministic bulk insert,
//     batch deletes that relink the affected neighbourhoods in one pass;
//   - bounded re-ranking (rerank.go): every code carries the norms of its
//     projection residual and quantisation error (and its fine code the
//     norm of the error it leaves), which bound how far a code distance
//     can be from the exact one; a search reads the exact
//     vectors of its candidates through a VectorFetcher (the store) in the
//     order of those lower bounds and stops when the next bound is above
//     the k-th exact distance found, so its answer is exactly the top k of
//     its candidates however tight the groups (Config.Rerank is only a
//     safety cap, reported in SearchStats);
//   - exact search from the codes: every code is compared with the query
//     on all cores, and only vectors whose lower bound can still be in the
//     top k are read: the answer a float32 scan of every vector gives;
//   - self-tuning (tune.go): after a build, and after updates that grew
//     the index by 10%, recall@10 is measured on a fixed sample of stored
//     vectors against exact search and the smallest ef reaching a target
//     (0.99 by default) is saved with the index and used by searches;
//   - range queries (Near, near.go) for duplicate finding: each code keeps
//     the norms of its projection residual and quantisation error, which
//     bound the code distance's error, so candidates that cannot be within
//     the range are dropped without reading their vectors;
//   - exact search that streams from a VectorSource (ExactSearch), with no
//     index at all, when there is no index file, and as the reference of
//     the tests; a source that also scans in parts at once (PartedSource,
//     the store) is read by every core;
//   - the index file (file.go): versioned, with per-section CRC-32C
//     checksums and the store generation, memory-mapped by OpenFile so that
//     opening costs the same for any number of vectors; Verify checks all
//     of it. Open (storesync.go) builds, reuses or incrementally updates the
//     file from a Source, using the store's per-record versions to fetch
//     only what changed.
//
// # Metric
//
// The metric is cosine distance, 1 − cos(a, b), in [0, 2]. Vectors and
// queries are normalised to unit length; zero, NaN and infinite vectors are
// rejected. Distances returned after re-ranking are computed from the
// float32 vectors, exactly as ExactSearch computes them.
//
// # Concurrency
//
// An *Index is safe for concurrent use: any number of searches run at once
// (read lock); Add, AddBatch, Delete and DeleteBatch take the write lock. A
// mapped index is copied to the heap by its first change.
//
// # Why not github.com/coder/hnsw
//
// coder/hnsw v0.6.1 (the only version the module proxy serves) stops its
// layer search as soon as one expansion fails to improve the nearest result
// and bounds the result set by k instead of ef, so recall@10 stays at
// 0.13-0.17 on the 20,000 × 4096 benchmark set whatever EfSearch is
// (go test -bench CoderHNSW -run '^$' ./index/). Nothing of it is reused.
//
// # Dependencies
//
// index depends only on the standard library, github.com/viterin/vek
// (AVX2 float32 dot products), golang.org/x/sys (mmap, CPU features),
// internal/fsutil (atomic writes) and internal/vec (the vector validity
// check shared with store and cluster). It must not import the store,
// embed, cluster or cli packages, nor badger: the store feeds it vectors
// through the Source, VectorSource and VectorFetcher interfaces.
package index
