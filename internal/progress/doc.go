// Package progress is the one shape in which vecimg's libraries (index,
// cluster, embed, internal/dedup, internal/merge, internal/parquetio) report
// the progress of long work: a Func called with the stage running and how
// many of its units are done. It holds a type and its contract, nothing
// else, so that any package can use it without importing another library;
// the application layer (internal/app) turns it into what the user sees.
package progress
