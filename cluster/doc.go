// Package cluster groups image vectors with mini-batch k-means and helps
// look at and hand in the result.
//
// It owns:
//
//   - k-means: Fit streams vectors from a Source (loading them once when
//     they fit in Options.MemoryLimit), runs seeded k-means++
//     initialisations and a swap repair of local optima on a sample, then
//     mini-batch steps (Sculley 2010) and Lloyd refinement over all
//     vectors, and returns centres, labels, distances and inertia. Squared Euclidean distance on raw vectors by default,
//     spherical (cosine) k-means with Options.Normalize.
//   - label numbering: clusters are numbered 0..K−1 by size, largest
//     first, ties broken by the cluster whose smallest id in NaturalLess
//     order comes first, so the same clustering always gets the same
//     numbers.
//   - choosing k: Sweep reports inertia and silhouette per k, Suggest
//     picks one, ParseKs reads "2..12"-style lists.
//   - export: WriteSubmission writes ImageID,label CSV files, following a
//     template's rows when given one.
//   - contact sheets: SheetClusters lists each cluster's images nearest its
//     centre, for internal/sheet to draw.
//   - AdjustedRandIndex, to compare clusterings.
//
// Options.Progress receives the stages of a fit (sample scans, seeding,
// repair, mini-batch steps, each Lloyd pass) with done/total counts, a few
// times a second at most.
//
// Distances use an AVX2/FMA kernel on amd64 (github.com/viterin/vek
// elsewhere) and run on Options.Workers goroutines; results do not depend
// on the number of workers.
//
// The package reads vectors only through the Source interface and never
// reads images (internal/sheet draws the sheets). It must not import the
// store, index, embed or cli packages, badger or onnxruntime; it never
// prints or exits.
package cluster
