// Package dedup finds near-duplicate images and outliers among stored
// embeddings, through nearest-neighbour queries that its caller supplies.
//
// # Groups
//
// Groups puts images into groups of near-duplicates:
//
//   - files with the same SHA-256 form an "identical" group of their own,
//     found by sorting the hashes, with no vector work; only the kept file
//     of such a group takes part in the vector pass;
//   - every other image (and the kept file of each identical group) asks
//     for its k nearest neighbours; a neighbour at cosine distance ≤ D is an
//     edge, and the connected components of those edges (union-find over
//     int32 slots) are the "near" groups. When even the k-th neighbour is
//     still within D, k is doubled and the query repeated, up to Options.MaxK;
//     items that stay at the cap are counted in Stats.Capped (their group can
//     still be complete, because the edges of their neighbours join it too).
//
// The cost is one k-NN query per distinct image (about N·k distance
// evaluations with an HNSW index), never the N² of all pairs, and the memory
// is a few dozen bytes per image plus the ids. In each group one member is
// kept: the largest resolution (width × height), then the oldest (smallest
// Item.Order), then the smallest id. Members carry their cosine distance to
// the kept one; groups come largest first.
//
// # Outliers
//
// Outliers scores every image by the cosine distance to its k-th nearest
// other image (k = 5 by default) and returns the n highest scores: an image
// far from even its fifth-closest neighbour has no company in the set.
//
// # Seams
//
// The caller owns the data: Items iterates over the stored records,
// Neighbours answers k-NN queries by id (normally an index.Index), Distance
// gives the distance between two stored images. dedup imports only the
// standard library; it must not import the store, index, app or cli
// packages. Work runs on Options.Workers goroutines (default 2) and reports
// progress through a (done, total) callback.
package dedup
