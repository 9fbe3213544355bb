// Package mapped keeps a long sequential scan of memory-mapped files from
// inflating the process's resident set.
//
// badger reads its value log through shared, read-only-in-practice memory
// maps. A scan over every stored vector (k-means passes, exports, exact
// search) touches each page once, and every page touched stays counted in
// the process's RSS (RssFile) for as long as it sits in the page cache: a
// scan of a 16 GB store can show a peak RSS of many gigabytes although the
// process allocated little. Release drops the process's page-table entries
// for such mappings (madvise MADV_DONTNEED); the pages stay in the page
// cache, so the next read faults them back in without disk I/O, and the
// data seen through the mapping does not change (only MAP_SHARED file
// mappings are touched, never private or anonymous memory).
//
// Linux only; elsewhere Release does nothing.
package mapped
