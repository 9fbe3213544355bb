// Package index answers nearest-neighbour queries over fixed-dimension
// float32 vectors (the store's image embeddings).
//
// It owns three things:
//
//   - an HNSW graph (Malkov & Yashunin, "Efficient and robust approximate
//     nearest neighbor search using Hierarchical Navigable Small World
//     graphs", 2016/2018): layered graph, heuristic neighbour selection
//     (their algorithm 4), ef-bounded best-first search, deletes that relink
//     the affected neighbourhoods, updates as delete + add, and a parallel
//     but deterministic bulk insert (AddBatch);
//   - exact (brute-force) search over the same vectors, used for small
//     indexes (Config.ExactBelow), on request, and as the reference that
//     Recall measures the graph against;
//   - the index file format (WriteTo/ReadFrom, Save/Load): a versioned,
//     checksummed file that records the store generation it reflects.
//
// # Metric
//
// The metric is cosine distance, 1 − cos(a, b), in [0, 2]. Vectors are
// normalised to unit length when added and queries are normalised before
// searching, so the distance is computed as 1 − dot(a, b). Reported
// distances are clamped at 0 (rounding can make 1 − dot slightly negative
// for identical directions). Zero, NaN and infinite vectors are rejected.
//
// # Why not github.com/coder/hnsw
//
// coder/hnsw v0.6.1 (the only version the module proxy serves) stops its
// layer search as soon as one expansion fails to improve the nearest result
// and bounds the result set by k instead of ef, so recall@10 stays at
// 0.13-0.17 on the 20,000 × 4096 benchmark set whatever EfSearch is
// (go test -bench CoderHNSW -run '^$' ./index/). The search is an
// unexported method of unexported types, so it cannot be fixed from outside;
// it also panics on a dimension mismatch. Nothing of it is reused here; both
// packages use github.com/viterin/vek for dot products.
//
// # Concurrency
//
// An *Index is safe for concurrent use: any number of searches run at once
// (read lock), Add, Delete and ReadFrom take the write lock.
//
// # Dependencies
//
// index depends only on the standard library and github.com/viterin/vek
// (AVX2 dot products). It must not import the store, embed, cluster or cli
// packages, nor badger: the store feeds it vectors, the cli asks it
// questions.
package index
