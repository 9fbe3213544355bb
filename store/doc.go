// Package store is vecimg's embedded, on-disk store of image vectors, kept
// in a badger (github.com/dgraph-io/badger/v4) database directory.
//
// It owns the persistence of everything vecimg knows about a folder of
// images: one Record per image (id, source path, content hash, size, vector,
// metadata such as the cluster label), the Manifest saying which model and
// preprocessing made the vectors (with a structured ModelSpec since schema 2:
// kind, file and its SHA-256, input size, precision, preset; schema-1 stores
// are upgraded in place by the first writer), the last ClusterRun, a generation counter
// that tells saved indexes whether they are current, and the export of
// vectors to NumPy's .npz format (Store.ExportNPZ, through internal/npz's Writer).
//
// Record checksums (schema 3): every record's data value (path, hash, size,
// vector) and metadata value (label, distance, extras, image hashes) ends
// with a CRC-32C of its bytes, verified on every read: Get, Scan,
// ScanVectors, Vectors, Heads, ScanHeads, ScanHashes and Check. A value that
// fails it is never returned; the read fails with a *CorruptError naming
// the record id and key that matches both ErrCorrupt and ErrChecksum
// (errors.Is), and Check lists each damaged record. Values written before
// schema 3 carry no checksum: they still read, Unsealed counts them, and
// Reseal rewrites them with one (content unchanged), as does any rewrite of
// the record (Put, SetHashes).
//
// Image hashes (schema 3): Meta.Hashes holds a record's 64-bit pHash, dHash
// and mirrored pHash (Present false when it has none); Put stores them,
// SetHashes fills them in later, ScanHashes lists them without reading a
// vector.
//
// ScanVectorsParts splits ScanVectors into ranges of ids read at once, one
// goroutine each, from one snapshot: the checksums and decoding of a full
// scan then use every core.
//
// Vector positions (positions.go): WritePositions records where each
// record's data value lies in badger's value log; on a read-only store,
// UsePositions lets Vectors, Paths and Heads read a value with one pread
// instead of an LSM lookup and a mapped read, checking the entry's key,
// version and checksum and falling back to badger for anything that does
// not check out. A positions file is used only for the store and
// generation it was made for.
//
// Guarantees:
//   - Put commits one batch atomically and durably: a process killed at any
//     moment leaves every batch whose Put returned and none of the batch in
//     flight, and the store opens cleanly.
//   - One writer at a time: badger flocks the directory, exclusively for a
//     writer and shared for a read-only Open. Readers share a store; any
//     Open while a writer holds it (a query during an ingest), and a writer's
//     Open while readers hold it, fail with ErrLocked and a message naming
//     the writer's pid when known. This holds within one process too.
//   - Clusterings switch atomically: SetLabels writes under the next run,
//     PutClusterRun makes it current in one commit (labels.go); a kill leaves
//     the previous clustering whole.
//   - Creation is atomic (a temporary directory renamed into place), and a
//     read-only Open changes no byte (a shadow directory of links where
//     badger would recover or delete; open.go).
//   - A rollback is caught: the state file (state.go), written after every
//     commit, is compared at every Open (ErrRollback, AcceptRollback).
//   - A full disk is an error before anything is written (ErrNoSpace;
//     space.go), not badger's SIGBUS on a mapped write.
//   - Check verifies badger's table and value-log checksums too, and never
//     panics on damaged files; Repair drops what it finds damaged. Check
//     gives up on a scan that makes no progress for CheckStallTimeout
//     (*StallError, ErrStalled) and returns at once when its context is
//     cancelled; Close then leaves badger open under the stuck read.
//   - No badger type appears in the API; errors are the sentinels and types
//     of errors.go.
//   - Ids and vectors are checked by internal/vec, the rule (and limits)
//     shared with index and cluster.
//
// Layout and encodings are described in keys.go and record.go. The package
// must not import vecimg's embed, index, cluster or cli packages, nor
// onnxruntime_go.
package store
