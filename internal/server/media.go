package server

import (
	"bytes"
	"container/list"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/disintegration/imaging"

	"github.com/vecimg/vecimg/internal/types"
)

// Media answers serve only stored images: the file is the one the stored
// record names, never a path from the request. Each answer carries an ETag
// from the record's SHA-256; a request whose ?v= names that hash may be
// cached for a year (the page puts it in its URLs), others are revalidated.

func etagOf(sha, kind string) string { return `"` + sha + kind + `"` }

func cacheHeaders(w http.ResponseWriter, r *http.Request, img types.Image, etag string) {
	h := w.Header()
	h.Set("ETag", etag)
	if v := r.URL.Query().Get("v"); v != "" && strings.HasPrefix(img.SHA256, v) && len(v) >= 8 {
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
}

// notModified reports whether the request's If-None-Match holds etag.
func notModified(r *http.Request, etag string) bool {
	for _, t := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func (s *Server) storedImage(w http.ResponseWriter, r *http.Request) (types.Image, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return types.Image{}, false
	}
	img, err := s.b.Image(r.Context(), id)
	if err != nil {
		s.backendError(w, r, err)
		return types.Image{}, false
	}
	return img, true
}

// errOutside: a stored image's file leads, through a symbolic link, out of
// the folder it was ingested from.
var errOutside = errors.New("leads outside the folder it was ingested from")

// sourcePath returns the file to read for a stored image: its path with
// symbolic links resolved, which must lie in the folder the image was
// ingested from (the path less the id, or the file's own folder when the
// two do not match), unless the server follows links: a link placed in a
// watched folder must not serve files from elsewhere on the host.
func (s *Server) sourcePath(img types.Image) (string, error) {
	if s.cfg.FollowLinks {
		return img.Path, nil
	}
	real, err := filepath.EvalSymlinks(img.Path)
	if err != nil {
		return "", err
	}
	root := filepath.Dir(img.Path)
	if base := strings.TrimSuffix(img.Path, filepath.Ext(img.Path)); img.ID != "" && strings.HasSuffix(base, "/"+img.ID) {
		root = strings.TrimSuffix(base, "/"+img.ID)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	if !types.Inside(realRoot, real) {
		return "", fmt.Errorf("%w (%s is %s)", errOutside, img.Path, real)
	}
	return real, nil
}

func sourceGone(w http.ResponseWriter, img types.Image, err error) {
	if errors.Is(err, errOutside) {
		writeError(w, http.StatusForbidden, "the file of %s %v; it is not served (vecimg serve --follow-links serves it)", img.ID, err)
		return
	}
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, http.StatusNotFound, "the file of %s is gone (%s was moved or deleted since it was ingested)", img.ID, img.Path)
		return
	}
	writeError(w, http.StatusInternalServerError, "cannot read the file of %s: %v", img.ID, err)
}

// original serves the stored image's file.
func (s *Server) original(w http.ResponseWriter, r *http.Request) {
	img, ok := s.storedImage(w, r)
	if !ok {
		return
	}
	etag := etagOf(img.SHA256, "")
	cacheHeaders(w, r, img, etag)
	if notModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	src, err := s.sourcePath(img)
	if err != nil {
		sourceGone(w, img, err)
		return
	}
	f, err := os.Open(src)
	if err != nil {
		sourceGone(w, img, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		writeError(w, http.StatusNotFound, "the file of %s (%s) is no longer a regular file", img.ID, img.Path)
		return
	}
	// The content type comes from the bytes, not from the name.
	var head [512]byte
	n, _ := f.ReadAt(head[:], 0)
	ct := http.DetectContentType(head[:n])
	if !strings.HasPrefix(ct, "image/") {
		writeError(w, http.StatusNotFound, "the file of %s (%s) is no longer an image", img.ID, img.Path)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "inline")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// thumb serves a JPEG thumbnail of the stored image (longest side
// ThumbSize), made on first request and kept in memory.
func (s *Server) thumb(w http.ResponseWriter, r *http.Request) {
	img, ok := s.storedImage(w, r)
	if !ok {
		return
	}
	etag := etagOf(img.SHA256, fmt.Sprintf("-t%d", s.cfg.ThumbSize))
	cacheHeaders(w, r, img, etag)
	if notModified(r, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	src, err := s.sourcePath(img)
	if err != nil {
		sourceGone(w, img, err)
		return
	}
	fi, err := os.Stat(src)
	if err != nil {
		sourceGone(w, img, err)
		return
	}
	key := thumbKey{path: src, size: fi.Size(), mod: fi.ModTime(), side: s.cfg.ThumbSize}
	data, ok := s.thumbs.get(key)
	if !ok {
		data, err = s.makeThumb(src)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				sourceGone(w, img, err)
				return
			}
			writeError(w, http.StatusUnprocessableEntity, "cannot make a thumbnail of %s (%s): %v", img.ID, img.Path, err)
			return
		}
		s.thumbs.put(key, data)
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

func (s *Server) makeThumb(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("not a readable image: %w", err)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > s.cfg.MaxPixels {
		return nil, fmt.Errorf("%d pixels, more than this server's limit of %d", px, s.cfg.MaxPixels)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	src, err := imaging.Decode(f, imaging.AutoOrientation(true))
	if err != nil {
		return nil, fmt.Errorf("not a readable image: %w", err)
	}
	side := s.cfg.ThumbSize
	b := src.Bounds()
	var dst image.Image = src
	if b.Dx() > side || b.Dy() > side {
		dst = imaging.Fit(src, side, side, imaging.Linear)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 82}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type thumbKey struct {
	path string
	size int64
	mod  time.Time
	side int
}

// thumbCache is a byte-bounded LRU of encoded thumbnails.
type thumbCache struct {
	mu    sync.Mutex
	max   int
	bytes int
	ll    *list.List
	m     map[thumbKey]*list.Element
}

type thumbEntry struct {
	key  thumbKey
	data []byte
}

func newThumbCache(maxBytes int) *thumbCache {
	return &thumbCache{max: maxBytes, ll: list.New(), m: map[thumbKey]*list.Element{}}
}

func (c *thumbCache) get(k thumbKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*thumbEntry).data, true
}

func (c *thumbCache) put(k thumbKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	c.m[k] = c.ll.PushFront(&thumbEntry{k, data})
	c.bytes += len(data)
	for c.bytes > c.max && c.ll.Len() > 1 {
		e := c.ll.Back()
		te := e.Value.(*thumbEntry)
		c.ll.Remove(e)
		delete(c.m, te.key)
		c.bytes -= len(te.data)
	}
}
