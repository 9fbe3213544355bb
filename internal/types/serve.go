package types

import "time"

// Settings of `vecimg serve` shown in --help.
const (
	DefaultAddr   = "127.0.0.1:8080"
	DefaultRescan = 30 * time.Second
)

// NoLabel is the cluster label of an image that was not clustered.
const NoLabel int32 = -1

// ServerInfo describes the store as the server's GET /api/v1/info answers.
type ServerInfo struct {
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
	Label    int32     `json:"label"`                     // cluster label; NoLabel when not clustered
	ToCentre float32   `json:"centre_distance,omitempty"` // Euclidean distance to its cluster centre
	Added    time.Time `json:"added"`
}

// ListOptions selects a page of stored images, in natural id order
// (numeric ids numerically).
type ListOptions struct {
	Offset, Limit int
	// Label, when non-nil, keeps only the images with that cluster label
	// (NoLabel: those not clustered).
	Label *int32
}

// ListPage is one page of images; Total counts every image that matches.
type ListPage struct {
	Total  int     `json:"total"`
	Images []Image `json:"images"`
}

// Neighbour is one search result of the server, with its record.
type Neighbour struct {
	Image
	Distance float32 `json:"distance"` // cosine distance, 1 − cos, in [0, 2]
}

// ClusterRequest is a clustering run asked for through the API: k-means
// with k clusters and this seed, default settings otherwise.
type ClusterRequest struct {
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

// Map places every stored image on a plane: the first two principal
// components of the vectors (PCA), for the server's map view.
type Map struct {
	Generation uint64     `json:"generation"`
	Explained  [2]float64 `json:"explained"` // share of the total variance along each axis
	Points     []MapPoint `json:"points"`
}

// MapPoint is one image on the map. Label is its current cluster label.
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
	Group   int         `json:"group"` // 1-based rank, largest group first
	Kind    string      `json:"kind"`
	Keep    string      `json:"keep"` // id of the member to keep
	Members []DupMember `json:"members"`
}

// DupMember is one image of a duplicate group.
type DupMember struct {
	ID       string  `json:"id"`
	Path     string  `json:"path"`
	SHA256   string  `json:"sha256,omitempty"` // the file's content hash (the page caches thumbnails by it)
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	Keep     bool    `json:"keep"`
	Distance float32 `json:"distance"` // cosine distance to the kept member
	// PHash and DHash are the Hamming distances of the hashes to the kept
	// member's (PHash: the least of the direct, mirrored and cropped
	// comparisons, which Mirrored and Cropped name); -1 without hashes.
	PHash    int  `json:"phash_distance"`
	DHash    int  `json:"dhash_distance"`
	Mirrored bool `json:"mirrored,omitempty"`
	Cropped  bool `json:"cropped,omitempty"`
	// MatchedBy lists the signals within their thresholds against the kept
	// member: "vector", "phash", "dhash", or "sha256" in identical groups.
	MatchedBy []string `json:"matched_by,omitempty"`
	Copies    int      `json:"copies,omitempty"` // byte-identical copies, listed in their own identical group
}

// IngestProgress is reported after every committed batch of a server's
// ingest.
type IngestProgress struct {
	Total int `json:"total"` // image files found
	Done  int `json:"done"`  // files handled so far
	Bad   int `json:"bad"`
}

// IngestReport is the summary of one ingest run of the server.
type IngestReport struct {
	Total    int       `json:"total"`
	Stored   int       `json:"stored"`
	Copied   int       `json:"copied"`
	Replaced int       `json:"replaced"`
	Present  int       `json:"skipped_present"`
	Bad      []BadFile `json:"bad"`
	Seconds  float64   `json:"seconds"`
}

// BadFile is an input file an ingest skipped, with the reason.
type BadFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// PixelLimit is the pixel limit the image was over, when that is why
	// it was skipped; 0 otherwise. Front ends word the advice from it.
	PixelLimit int64 `json:"-"`
}
