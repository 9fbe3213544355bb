// Package dedup finds near-duplicate images and outliers among stored
// embeddings, through nearest-neighbour queries that its caller supplies.
//
// # Groups
//
// Groups puts images into groups of near-duplicates:
//
//   - files with the same SHA-256 form an "identical" group of their own,
//     found by sorting the hashes, with no vector work; only the kept file
//     of such a group takes part in the other passes;
//   - two distinct images match when one signal says so: their cosine
//     distance is ≤ D (vector pairs come from range queries through the
//     caller's index: every image asks for its neighbours within D, k
//     doubled while the k-th is still within D, up to Options.MaxK; images
//     that stay at the cap are counted in Stats.Capped), or their pHash
//     distance (the smallest of the direct, mirrored and cropped comparisons,
//     phash.PMatch)
//     is ≤ the pHash threshold, or their dHash distance is ≤ the dHash
//     threshold. Hash pairs come from a banded lookup (m bands of 64/m
//     bits, m chosen for the number of images and the threshold: two hashes
//     within h bits share a band within ⌊h/m⌋ bits, so probing those finds
//     all of them; see bands.go), never from comparing all pairs;
//   - "near" groups are stars, not connected components: the images are
//     visited best first by the keep rule, and an image not yet in a group
//     that matches images not yet in a group becomes the kept image of a
//     group of exactly those. Every member matches its kept image directly,
//     so two unrelated images are never joined through a chain of matches
//     (Stats.Chained counts members that do not, and is 0).
//
// The keep rule (Options.Keep) is the largest resolution (width × height),
// the oldest, the newest, or a file under a folder, each then falling back
// to the largest, the oldest (smallest Item.Order) and the smallest id.
// Members carry their cosine and hash distances to the kept image and the
// signals that matched; groups come largest first. The cost is one range
// query per distinct image (about N·k distance evaluations with an HNSW
// index) plus a few hundred table probes per hashed image, and the memory
// is a few dozen bytes per image plus the ids and the matching pairs.
//
// # Calibration
//
// Variant makes the copies calibration measures (Transforms: JPEG q30,
// half size, 5–10% crop, ±20% brightness, gray, a text watermark, mirror);
// Choose picks, from labelled pairs (CalPair: each signal's distance, copy
// or not), the thresholds of highest recall at a pair precision floor, by
// sweeping every pHash and dHash threshold and, for each, the vector
// threshold over the positive pairs' distances; Evaluate scores thresholds
// per transformation.
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
// standard library, internal/phash, internal/progress and golang.org/x/image's bitmap font
// (the watermark); it must not import the store,
// index, app or cli packages. Work runs on Options.Workers goroutines (default 2) and reports
// progress through a progress.Func (its Stage constants).
package dedup
