// Package sheet draws contact sheets: PNG grids of image thumbnails, each
// captioned, with an index.html that shows them all. WriteClusters draws one
// sheet per cluster (vecimg cluster --sheets; the members come from
// cluster.SheetClusters), WritePages one sheet per page of any list of
// images (the duplicate groups of dups, the outliers of outliers).
//
// Images are read only through a loader function (id → image); an image
// that fails to load becomes a grey "unreadable" tile and is listed in
// Output.Unreadable, never an error. Files are written atomically, sheets
// of an earlier run that this one did not write again are removed, and the
// folder is marked as vecimg's output (internal/fsutil) so that an ingest
// of a folder around it skips it. The package never prints or exits.
package sheet
