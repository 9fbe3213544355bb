// Package merge combines vecimg stores, or Parquet exports of them, made
// with the same model into one store: the inputs of a sharded ingest, for
// example. It streams every input in id order (a k-way merge, a few records
// per input in memory), checks the whole merge for conflicts before it
// writes, then commits the records in batches, each atomically; a merge run
// again after an interruption writes only what is missing.
//
// Rule for one id found in several places: the same content (SHA-256 of the
// image and bit-identical vector) is stored once; different content is a
// conflict, which refuses the merge (nothing written) unless the caller asks
// to rename: then the first content keeps the id and each other one is
// stored as "<id>~<n>", n the 1-based position of the input that held it.
// Merged records are unlabelled: cluster the merged store.
package merge
