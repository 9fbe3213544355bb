package server

import (
	"context"
	"errors"
	"time"
)

// Backend is what the server needs from the application layer. The server
// owns this seam; *app.App is adapted to it by appbackend.New (package
// internal/server/appbackend) and the tests use an in-memory fake.
// Implementations must be safe for concurrent use: queries arrive while an
// ingest or a clustering runs.
type Backend interface {
	// Info describes the store.
	Info(ctx context.Context) (Info, error)
	// List returns one page of stored images in natural id order.
	List(ctx context.Context, o ListOptions) (ListPage, error)
	// Image returns one stored image; ErrNotFound when the id is not stored.
	Image(ctx context.Context, id string) (Image, error)
	// Neighbours returns the k stored images nearest to the stored image id
	// (itself left out), nearest first.
	Neighbours(ctx context.Context, id string, k int, exact bool) ([]Neighbour, error)
	// SearchImage embeds an image file's bytes with the store's model and
	// preset, without storing it, and returns its k nearest stored images.
	SearchImage(ctx context.Context, data []byte, name string, k int, exact bool) ([]Neighbour, error)
	// Clusters returns the last clustering's sizes and settings.
	Clusters(ctx context.Context) (Clusters, error)
	// Cluster runs k-means over the store and writes the labels back, as
	// `vecimg cluster` does.
	Cluster(ctx context.Context, o ClusterOptions) (Clusters, error)
	// Map projects every stored vector to 2-D (PCA).
	Map(ctx context.Context) (Map, error)
	// Dups finds the groups of byte-identical and near-duplicate images at
	// cosine distance threshold (0: the backend's default), largest group
	// first, as `vecimg dups` does. It may answer from a cache of the same
	// store generation and threshold.
	Dups(ctx context.Context, threshold float64) (Dups, error)
	// Ingest embeds the images under dir that are new or changed, with the
	// rules of `vecimg ingest`, making each committed batch searchable at
	// once. progress is called after every committed batch. When ctx is
	// cancelled it stops after committing the batch in flight.
	Ingest(ctx context.Context, dir string, progress func(IngestProgress)) (IngestReport, error)
}

// Errors a Backend returns (wrapped) so that the server can answer with the
// right status.
var (
	// ErrNotFound: the id is not stored (404).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request's input cannot be used, e.g. an uploaded file
	// that is not an image or too large to decode, or k larger than the store
	// (400 or 422).
	ErrInvalid = errors.New("invalid input")
	// ErrUnavailable: the operation cannot run on this server now, e.g. the
	// model needed to embed an upload is missing, or the store is empty (503).
	ErrUnavailable = errors.New("unavailable")
	// ErrConflict: another operation of the same kind is running (409).
	ErrConflict = errors.New("conflict")
)

// Info describes the store.
type Info struct {
	Store      string    `json:"store"`
	Count      int       `json:"count"`
	Dim        int       `json:"dim"`
	Model      string    `json:"model"`
	ModelDesc  string    `json:"model_desc,omitempty"`
	Preset     string    `json:"preset"`
	Generation uint64    `json:"generation"`
	DiskBytes  int64     `json:"disk_bytes"`
	Created    time.Time `json:"created,omitzero"` // absent while the store is empty
	// CanEmbed says whether uploads can be embedded (the model is there).
	CanEmbed bool   `json:"can_embed"`
	EmbedWhy string `json:"embed_problem,omitempty"`
}

// Image is one stored image's record, without its vector.
type Image struct {
	ID       string    `json:"id"`
	Path     string    `json:"path"`
	SHA256   string    `json:"sha256"`
	Width    int       `json:"width"`
	Height   int       `json:"height"`
	Label    int32     `json:"label"`                     // cluster label; -1 when not clustered
	ToCentre float32   `json:"centre_distance,omitempty"` // Euclidean distance to its cluster centre
	Added    time.Time `json:"added"`
}

// NoLabel is Image.Label of an image that was not clustered.
const NoLabel int32 = -1

// ListOptions selects a page of images.
type ListOptions struct {
	Offset, Limit int
	// Cluster, when non-nil, keeps only images with that label (NoLabel for
	// those not clustered).
	Cluster *int32
}

// ListPage is one page of images; Total counts all images that match.
type ListPage struct {
	Total  int     `json:"total"`
	Images []Image `json:"images"`
}

// Neighbour is one search result.
type Neighbour struct {
	Image
	Distance float32 `json:"distance"` // cosine distance, 1 − cos, in [0, 2]
}

// ClusterOptions are the settings of a clustering run from the API.
type ClusterOptions struct {
	K    int    `json:"k"`
	Seed uint64 `json:"seed"`
}

// Clusters is the last clustering: the run and one entry per label,
// largest first.
type Clusters struct {
	Run      *ClusterRun   `json:"run"` // nil: never clustered
	Clusters []ClusterSize `json:"clusters"`
	// Unlabelled counts stored images without a label (added after the run).
	Unlabelled int `json:"unlabelled"`
}

// ClusterRun says which run made the labels.
type ClusterRun struct {
	K       int            `json:"k"`
	Seed    int64          `json:"seed"`
	Inertia float64        `json:"inertia"`
	Params  map[string]any `json:"params,omitempty"`
	Stale   bool           `json:"stale"` // images were added or changed since the run
	At      time.Time      `json:"at"`
}

// ClusterSize is one cluster's label and number of images.
type ClusterSize struct {
	Label int32 `json:"label"`
	Size  int   `json:"size"`
}

// Map is the 2-D projection of the store: one point per image.
type Map struct {
	Generation uint64     `json:"generation"`
	Explained  [2]float64 `json:"explained"` // share of variance along each axis
	Points     []MapPoint `json:"points"`
}

// MapPoint is one image on the map.
type MapPoint struct {
	ID     string  `json:"id"`
	X      float32 `json:"x"`
	Y      float32 `json:"y"`
	Label  int32   `json:"label"`
	SHA256 string  `json:"sha256,omitempty"` // absent when the backend does not give it
}

// Dups is the answer of GET /api/v1/dups: the duplicate groups of the
// store at one threshold.
type Dups struct {
	Threshold float64 `json:"threshold"` // cosine distance D used
	// Matching says in words which signals and thresholds decided, and
	// where the thresholds came from (calibrated, default, given).
	Matching   string     `json:"matching,omitempty"`
	Images     int        `json:"images"`     // images looked at
	Generation uint64     `json:"generation"` // store generation the groups were found in
	Groups     []DupGroup `json:"groups"`     // largest first
	InGroups   int        `json:"in_groups"`  // images that belong to some group
	Seconds    float64    `json:"seconds"`    // how long finding them took
	// Cached says the groups were not computed for this request: they come
	// from an earlier (or concurrent) request of the same generation and
	// threshold.
	Cached bool `json:"cached"`
}

// DupGroup is one group: Kind "identical" (same SHA-256) or "near" (every
// member matches the kept one by vector, pHash or dHash); the kept member
// first.
type DupGroup struct {
	Group   int         `json:"group"` // 1-based rank, largest first
	Kind    string      `json:"kind"`
	Keep    string      `json:"keep"` // id of the member to keep
	Members []DupMember `json:"members"`
}

// DupMember is one image of a duplicate group.
type DupMember struct {
	ID       string  `json:"id"`
	Path     string  `json:"path"`
	SHA256   string  `json:"sha256,omitempty"` // lets the page cache the thumbnail for good
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Keep     bool    `json:"keep"`
	Distance float32 `json:"distance"`         // cosine distance to the kept member
	Copies   int     `json:"copies,omitempty"` // byte-identical copies, listed in their own identical group
	// PHash and DHash are the hash distances to the kept member (-1: no
	// hashes); MatchedBy the signals within their thresholds.
	PHash     int      `json:"phash_distance"`
	DHash     int      `json:"dhash_distance"`
	Mirrored  bool     `json:"mirrored,omitempty"`
	Cropped   bool     `json:"cropped,omitempty"`
	MatchedBy []string `json:"matched_by,omitempty"`
}

// IngestProgress is reported after every committed batch.
type IngestProgress struct {
	Total int `json:"total"` // image files found
	Done  int `json:"done"`  // files handled so far
	Bad   int `json:"bad"`
}

// IngestReport is the summary of one ingest run.
type IngestReport struct {
	Total    int       `json:"total"`
	Stored   int       `json:"stored"`
	Copied   int       `json:"copied"`
	Replaced int       `json:"replaced"`
	Present  int       `json:"skipped_present"`
	Bad      []BadFile `json:"bad"`
	Seconds  float64   `json:"seconds"`
}

// BadFile is a file an ingest skipped, with the reason.
type BadFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}
