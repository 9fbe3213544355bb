package server

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/vecimg/vecimg/internal/types"
)

// settle is how long the watch waits after the last file event before it
// ingests, so that a file being copied is complete.
var settle = 700 * time.Millisecond

// maxBadListed bounds the bad files kept for the page.
const maxBadListed = 50

// watchState is what the page and /api/v1/ingest show about --watch.
type watchState struct {
	mu      sync.Mutex
	Dir     string
	snap    watchSnapshot
	seenBad map[types.BadFile]bool // logged once, not on every rescan
}

func (w *watchState) firstBad(b types.BadFile) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seenBad == nil {
		w.seenBad = map[types.BadFile]bool{}
	}
	if w.seenBad[b] || len(w.seenBad) > 10000 {
		return false
	}
	w.seenBad[b] = true
	return true
}

type watchSnapshot struct {
	Dir      string                `json:"dir,omitempty"`
	Running  bool                  `json:"running"`
	Progress *types.IngestProgress `json:"progress,omitempty"` // of the run in progress
	Last     *types.IngestReport   `json:"last,omitempty"`     // the last finished run
	LastErr  string                `json:"last_error,omitempty"`
	Runs     int                   `json:"runs"`     // finished runs
	Stored   int                   `json:"stored"`   // images stored by all runs
	Watching bool                  `json:"watching"` // file events are watched (else rescans only)
	LastAt   *time.Time            `json:"last_at,omitempty"`
}

func (w *watchState) snapshot() watchSnapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.snap
	s.Dir = w.Dir
	if s.Progress != nil {
		p := *s.Progress
		s.Progress = &p
	}
	return s
}

func (w *watchState) update(f func(s *watchSnapshot)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(&w.snap)
}

// rescanned, when set (by tests, before a server starts), is called after
// each periodic rescan with whether it found a change.
var rescanned func(changed bool)

// runWatch ingests WatchDir now, then after file events (once they settle)
// and every Rescan, until ctx is cancelled.
func (s *Server) runWatch(ctx context.Context) {
	dir := s.cfg.WatchDir
	events := make(chan struct{}, 1)
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("file events unavailable; rescanning periodically only", "dir", dir, "err", err)
	} else {
		defer fw.Close()
		go s.forwardEvents(ctx, fw, dir, events)
		s.addTree(fw, dir)
		s.watch.update(func(ws *watchSnapshot) { ws.Watching = true })
	}
	var tick <-chan time.Time
	if s.cfg.Rescan > 0 {
		t := time.NewTicker(s.cfg.Rescan)
		defer t.Stop()
		tick = t.C
	}
	var last map[string]fileStamp // the folder as the last ingest found it
	for ingest := true; ; {
		if ingest {
			now := stampDir(dir)
			last = nil // a failed ingest is tried again at the next rescan
			if s.ingestOnce(ctx, dir) {
				last = now
			}
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
			// A rescan catches what file events missed; when nothing under
			// the folder changed since the last ingest, it does not run one
			// (which would load the model again).
			ingest = !maps.Equal(stampDir(dir), last)
			if rescanned != nil {
				rescanned(ingest)
			}
			continue
		case <-events:
			ingest = true
			// Wait until events stop for a moment.
			for quiet := false; !quiet; {
				select {
				case <-ctx.Done():
					return
				case <-events:
				case <-time.After(settle):
					quiet = true
				}
			}
		}
	}
}

// fileStamp is what a rescan compares to find changes.
type fileStamp struct {
	size int64
	mod  time.Time
}

// stampDir lists the files under dir with their size and modification time.
func stampDir(dir string) map[string]fileStamp {
	m := map[string]fileStamp{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			m[p] = fileStamp{fi.Size(), fi.ModTime()}
		}
		return nil
	})
	return m
}

// forwardEvents turns fsnotify events into a signal on events, watching
// new folders as they appear.
func (s *Server) forwardEvents(ctx context.Context, fw *fsnotify.Watcher, root string, events chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					s.addTree(fw, ev.Name)
				}
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) || ev.Has(fsnotify.Rename) {
				select {
				case events <- struct{}{}:
				default:
				}
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return
			}
			s.log.Warn("file watch error; the next rescan catches up", "dir", root, "err", err)
			select {
			case events <- struct{}{}:
			default:
			}
		}
	}
}

// addTree watches dir and every folder under it.
func (s *Server) addTree(fw *fsnotify.Watcher, dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if err := fw.Add(p); err != nil {
				s.log.Warn("cannot watch folder; rescans still cover it", "dir", p, "err", err)
			}
		}
		return nil
	})
}

// ingestOnce runs one ingest of dir; false when it failed.
func (s *Server) ingestOnce(ctx context.Context, dir string) bool {
	s.watch.update(func(ws *watchSnapshot) {
		ws.Running = true
		ws.Progress = &types.IngestProgress{}
	})
	start := time.Now()
	rep, err := s.b.Ingest(ctx, dir, func(p types.IngestProgress) {
		s.watch.update(func(ws *watchSnapshot) { ws.Progress = &p })
	})
	now := time.Now()
	s.watch.update(func(ws *watchSnapshot) {
		ws.Running = false
		ws.Progress = nil
		ws.Runs++
		ws.Stored += rep.Stored + rep.Copied
		ws.LastAt = &now
		if len(rep.Bad) > maxBadListed {
			rep.Bad = rep.Bad[:maxBadListed]
		}
		r := rep
		ws.Last = &r
		ws.LastErr = ""
		if err != nil && !errors.Is(err, context.Canceled) {
			ws.LastErr = err.Error()
		}
	})
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		s.log.Info("ingest stopped; committed batches are kept", "dir", dir, "stored", rep.Stored+rep.Copied)
	case err != nil:
		s.log.Error("ingest failed; retried on the next change or rescan", "dir", dir, "err", err)
	case rep.Stored+rep.Copied > 0 || len(rep.Bad) > 0:
		s.log.Info("ingested", "dir", dir, "found", rep.Total, "stored", rep.Stored, "copied", rep.Copied,
			"changed", rep.Replaced, "present", rep.Present, "bad", len(rep.Bad), "seconds", time.Since(start).Seconds())
		for _, b := range rep.Bad {
			if s.watch.firstBad(b) {
				s.log.Warn("bad file skipped", "path", b.Path, "reason", b.Reason)
			}
		}
	}
	return err == nil
}
