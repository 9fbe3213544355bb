// Package app is vecimg's application layer: the operations that the
// command line (package cli) and the HTTP server (internal/server) both
// call — Ingest, Import, Merge, Similar, SimilarImage, Recall, Cluster,
// ClusterReport, Export, ExportParquet, Dups, Outliers, Remove, List, Image,
// Labels, Map, Info and Check — with plain option and result structs, a
// context, and progress reported through the Progress interface (the
// libraries report theirs as an internal/progress.Func, turned into
// Progress calls by the one adapter libraryProgress, progress.go). A
// refused request names the option at fault in a ParamError, what would fix
// it in an AdvisedError, or the options its message mentions in an
// OptionError (by the App's own lower-case names: "threshold", "move-to",
// "db"), for each front end to word with its own names: the CLI's flags,
// the API's parameters (ServeBackend). The App names no flag.
//
// An App is opened once (Open) and holds the store, the nearest-neighbour
// index (opened and brought up to date lazily, on the first query after the
// store changed) and the model session used to embed query images (created
// lazily). Its methods are safe for concurrent use: queries may run while an
// ingest writes; writing operations run one at a time.
//
// The package owns the adapters between the store and embed, index and
// cluster, the order of writes (every operation validates its inputs before
// it changes the store or any file), and where derived files live (the index
// file beside the store, <db>.hnsw; see index.go, the only file that calls
// package index). Front ends only turn their input into options and print
// results; the result types (their json tags define --json) and the
// shared option types live in internal/types, aliased here. Serve runs the HTTP server with ServeBackend (serve_backend.go),
// the App as the server's Backend, which keeps the server's caches.
package app
