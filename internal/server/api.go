package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	_ "image/gif"  // decoders for DecodeConfig
	_ "image/jpeg" //
	_ "image/png"  //

	"github.com/vecimg/vecimg/internal/types"
)

// Limits on query parameters.
const (
	MaxK         = 1000
	DefaultK     = 10
	MaxPageLimit = 500
	DefaultLimit = 100
	maxJSONBody  = 1 << 20
	MaxClusterK  = 1000
	// Duplicate groups per answer of GET /api/v1/dups.
	DefaultDupLimit = 1000
	MaxDupLimit     = 10000
	// MaxDupThreshold is the largest cosine distance.
	MaxDupThreshold = 2.0
)

// Handler returns the server's routes: the API under /api/v1/ and the page
// at /.
func (s *Server) Handler() http.Handler {
	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/health", s.health)
	api.HandleFunc("GET /api/v1/info", s.info)
	api.HandleFunc("GET /api/v1/images", s.listImages)
	api.HandleFunc("GET /api/v1/images/{id}", s.image)
	api.HandleFunc("GET /api/v1/images/{id}/neighbours", s.neighbours)
	api.HandleFunc("GET /api/v1/images/{id}/thumb", s.thumb)
	api.HandleFunc("GET /api/v1/images/{id}/file", s.original)
	api.HandleFunc("POST /api/v1/search", s.search)
	api.HandleFunc("GET /api/v1/clusters", s.clusters)
	api.HandleFunc("POST /api/v1/clusters", s.runCluster)
	api.HandleFunc("GET /api/v1/map", s.mapPoints)
	api.HandleFunc("GET /api/v1/dups", s.dups)
	api.HandleFunc("GET /api/v1/ingest", s.ingestStatus)

	mux := http.NewServeMux()
	mux.Handle("/api/", s.authorized(methodCheck(api)))
	mux.Handle("/", pageHandler())
	return securityHeaders(s.logged(s.hostCheck(mux)))
}

// hostCheck refuses requests for other host names on a loopback listener.
func (s *Server) hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hosts != nil && !s.hosts[strings.ToLower(r.Host)] {
			writeError(w, http.StatusForbidden, "this server answers only requests for 127.0.0.1 or localhost, not Host %q (protection against DNS rebinding; listen on another --addr to serve other names)", r.Host)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// methodCheck turns the mux's plain-text 404 and 405 answers into JSON
// errors.
func methodCheck(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern == "" {
			// No route matched: learn the mux's status (and Allow header)
			// without writing its plain-text body.
			rec := &headerOnly{h: http.Header{}}
			h.ServeHTTP(rec, r)
			switch rec.status {
			case http.StatusMethodNotAllowed:
				w.Header().Set("Allow", rec.h.Get("Allow"))
				writeError(w, http.StatusMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.h.Get("Allow"))
			case http.StatusNotFound, 0:
				writeError(w, http.StatusNotFound, "no API call %s %s (the calls are listed in the README, under /api/v1/)", r.Method, r.URL.Path)
			default:
				mux.ServeHTTP(w, r) // redirects (cleaned paths)
			}
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// headerOnly captures a handler's status without writing anything.
type headerOnly struct {
	h      http.Header
	status int
}

func (r *headerOnly) Header() http.Header         { return r.h }
func (r *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerOnly) WriteHeader(code int)        { r.status = code }

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type infoAnswer struct {
	types.ServerInfo
	Ingest    watchSnapshot `json:"ingest"`
	MaxUpload int64         `json:"max_upload"`
	MaxPixels int64         `json:"max_pixels"`
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	in, err := s.b.Info(r.Context())
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, infoAnswer{ServerInfo: in, Ingest: s.watch.snapshot(), MaxUpload: s.cfg.MaxUpload, MaxPixels: s.cfg.MaxPixels})
}

// intParam reads an integer query parameter in [lo, hi]; def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if _, present := r.URL.Query()[name]; present {
			return 0, fmt.Errorf("%s is empty: give a whole number from %d to %d", name, lo, hi)
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a whole number (want %d to %d)", name, v, lo, hi)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s=%d is out of range (want %d to %d)", name, n, lo, hi)
	}
	return n, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not true or false", name, v)
	}
	return b, nil
}

type listAnswer struct {
	types.ListPage
	Offset  int    `json:"offset"`
	Limit   int    `json:"limit"`
	Cluster *int32 `json:"cluster,omitempty"`
}

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	off, err := intParam(r, "offset", 0, 0, 1<<31-1)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	lim, err := intParam(r, "limit", DefaultLimit, 1, MaxPageLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	o := types.ListOptions{Offset: off, Limit: lim}
	if _, ok := r.URL.Query()["cluster"]; ok {
		c, err := intParam(r, "cluster", 0, int(types.NoLabel), MaxClusterK-1)
		if err != nil {
			writeError(w, http.StatusBadRequest, "%v (-1 lists images without a label)", err)
			return
		}
		l := int32(c)
		o.Label = &l
	}
	page, err := s.b.List(r.Context(), o)
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if page.Images == nil {
		page.Images = []types.Image{}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, listAnswer{ListPage: page, Offset: off, Limit: lim, Cluster: o.Label})
}

// pathID reads and checks the {id} path segment.
func pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if err := types.CheckID(id); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return "", false
	}
	return id, true
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	img, err := s.b.Image(r.Context(), id)
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, img)
}

type neighboursAnswer struct {
	Query   string            `json:"query"`
	QueryID string            `json:"query_id,omitempty"`
	K       int               `json:"k"`
	Exact   bool              `json:"exact"`
	Results []types.Neighbour `json:"results"`
}

func searchParams(w http.ResponseWriter, r *http.Request) (k int, exact bool, ok bool) {
	k, err := intParam(r, "k", DefaultK, 1, MaxK)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return 0, false, false
	}
	exact, err = boolParam(r, "exact")
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return 0, false, false
	}
	return k, exact, true
}

func (s *Server) neighbours(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	k, exact, ok := searchParams(w, r)
	if !ok {
		return
	}
	res, err := s.b.Neighbours(r.Context(), id, k, exact)
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if res == nil {
		res = []types.Neighbour{}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, neighboursAnswer{Query: id, QueryID: id, K: k, Exact: exact, Results: res})
}

// search answers the neighbours of an uploaded image, which is not stored.
// The body is the image itself (image/*, application/octet-stream) or a
// multipart form whose first file part is the image.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	k, exact, ok := searchParams(w, r)
	if !ok {
		return
	}
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		writeError(w, http.StatusUnsupportedMediaType, "send the image as the body (Content-Type: image/jpeg, image/png, image/gif or application/octet-stream) or as multipart/form-data; got Content-Type %q", ct)
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+64<<10)
	var data []byte
	name := "upload"
	switch {
	case mt == "multipart/form-data":
		data, name, err = firstFilePart(body, params["boundary"], s.cfg.MaxUpload)
	case strings.HasPrefix(mt, "image/") || mt == "application/octet-stream":
		data, err = readLimited(body, s.cfg.MaxUpload)
		if fn := r.URL.Query().Get("name"); fn != "" {
			name = fn
		}
	default:
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type %s is not an image upload: send image/jpeg, image/png, image/gif, application/octet-stream or multipart/form-data", mt)
		return
	}
	if err != nil {
		var tooBig *tooLargeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig), errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, "upload is larger than this server's limit of %d bytes", s.cfg.MaxUpload)
		default:
			writeError(w, http.StatusBadRequest, "reading the upload: %v", err)
		}
		return
	}
	if len(data) == 0 {
		writeError(w, http.StatusBadRequest, "the upload is empty: send an image file")
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "%s is not a JPEG, PNG or GIF image (%v)", name, err)
		return
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > s.cfg.MaxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		writeError(w, http.StatusUnprocessableEntity, "%s is a %dx%d %s (%d pixels); this server refuses images over %d pixels", name, cfg.Width, cfg.Height, format, px, s.cfg.MaxPixels)
		return
	}
	res, err := s.b.SearchImage(r.Context(), data, name, k, exact)
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if res == nil {
		res = []types.Neighbour{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, neighboursAnswer{Query: name, K: k, Exact: exact, Results: res})
}

type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string { return fmt.Sprintf("more than %d bytes", e.limit) }

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{limit}
	}
	return data, nil
}

// firstFilePart returns the content of the first part that carries a file
// name (or is named "image" or "file").
func firstFilePart(body io.Reader, boundary string, limit int64) ([]byte, string, error) {
	if boundary == "" {
		return nil, "", errors.New("multipart/form-data without a boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", errors.New("the form holds no file part: send the image as a file field")
		}
		if err != nil {
			return nil, "", err
		}
		if p.FileName() == "" && p.FormName() != "image" && p.FormName() != "file" {
			p.Close()
			continue
		}
		name := p.FileName()
		if name == "" {
			name = p.FormName()
		}
		data, err := readLimited(p, limit)
		p.Close()
		return data, name, err
	}
}

func (s *Server) clusters(w http.ResponseWriter, r *http.Request) {
	c, err := s.b.Clusters(r.Context())
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if c.Clusters == nil {
		c.Clusters = []types.ClusterSize{}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, c)
}

// clusterRequest is the JSON body of POST /api/v1/clusters.
type clusterRequest struct {
	K    *int    `json:"k"`
	Seed *uint64 `json:"seed"`
}

// DefaultSeed is the clustering seed when the request gives none (the
// CLI's default).
const DefaultSeed = 42

func (s *Server) runCluster(w http.ResponseWriter, r *http.Request) {
	if !requireJSON(w, r) {
		return
	}
	var req clusterRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "the body is not the JSON this call takes ({\"k\": 5, \"seed\": 42}): %v", err)
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "the body holds more than one JSON value")
		return
	}
	if req.K == nil {
		writeError(w, http.StatusBadRequest, "k is missing: send {\"k\": 5}")
		return
	}
	if *req.K < 1 || *req.K > MaxClusterK {
		writeError(w, http.StatusBadRequest, "k=%d is out of range (want 1 to %d)", *req.K, MaxClusterK)
		return
	}
	o := types.ClusterRequest{K: *req.K, Seed: DefaultSeed}
	if req.Seed != nil {
		o.Seed = *req.Seed
	}
	if !s.clusterMu.TryLock() {
		writeError(w, http.StatusConflict, "a clustering is already running; wait for it to finish")
		return
	}
	defer s.clusterMu.Unlock()
	c, err := s.b.Cluster(r.Context(), o)
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if c.Clusters == nil {
		c.Clusters = []types.ClusterSize{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) mapPoints(w http.ResponseWriter, r *http.Request) {
	m, err := s.b.Map(r.Context())
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if m.Points == nil {
		m.Points = []types.MapPoint{}
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) ingestStatus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.watch.snapshot())
}

// thresholdParam reads the dups threshold: a cosine distance in (0, 2];
// 0 (the backend's default) when absent.
func thresholdParam(r *http.Request) (float64, error) {
	v := r.URL.Query().Get("threshold")
	if v == "" {
		if _, present := r.URL.Query()["threshold"]; present {
			return 0, errors.New("threshold is empty: give a cosine distance in (0, 2], or leave it out for the default")
		}
		return 0, nil
	}
	t, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(t) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("threshold=%q is not a number: give a cosine distance in (0, 2], e.g. 0.004", v)
	}
	if t <= 0 || t > MaxDupThreshold {
		return 0, fmt.Errorf("threshold=%v is out of range: give a cosine distance in (0, 2]", t)
	}
	return t, nil
}

type dupsAnswer struct {
	types.Dups
	Total  int `json:"total"` // groups in all; Groups holds [offset, offset+limit)
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

// dups answers the store's duplicate groups at a threshold, a page of
// groups at a time (largest first).
func (s *Server) dups(w http.ResponseWriter, r *http.Request) {
	t, err := thresholdParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	off, err := intParam(r, "offset", 0, 0, 1<<31-1)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	lim, err := intParam(r, "limit", DefaultDupLimit, 1, MaxDupLimit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	d, err := s.b.Dups(r.Context(), t)
	if err != nil {
		s.backendError(w, r, err)
		return
	}
	if d.Groups == nil {
		d.Groups = []types.DupGroup{}
	}
	total := len(d.Groups)
	d.Groups = d.Groups[min(off, total):min(off+lim, total)]
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, dupsAnswer{Dups: d, Total: total, Offset: off, Limit: lim})
}
