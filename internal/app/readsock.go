package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vecimg/vecimg/store"
)

// A process that writes a store (an ingest, import, merge, cluster, rm, or
// `vecimg serve`) holds badger's exclusive lock, so no other process can
// open the store, not even to read it. Such a process therefore answers
// read requests (info, similar, export, check) of other vecimg processes
// over a unix socket beside the store, through its own App: the answers are
// of what it has committed. Config.ServeReads turns this on; RemoteRead is
// the client.

// ReadSocketPath is the socket beside the store at db.
func ReadSocketPath(db string) string { return filepath.Clean(db) + ".read.sock" }

// Read operations answered over the socket.
const (
	ReadInfo    = "info"
	ReadSimilar = "similar"
	ReadExport  = "export"
	ReadCheck   = "check"
)

type readRequest struct {
	Op      string          `json:"op"`
	Options json.RawMessage `json:"options,omitempty"`
}

type readResponse struct {
	PID    int             `json:"pid"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Kind   string          `json:"kind,omitempty"`
}

// errorKinds are the sentinels whose kind crosses the socket, so that the
// reading process maps the error as if it had run the operation itself.
// An error that wraps several takes the first of this list, whatever the
// run: the order is part of the answer.
var errorKinds = []struct {
	name string
	err  error
}{
	{"mismatch", store.ErrManifestMismatch}, {"check", ErrCheckFailed}, {"nostore", ErrNoStore},
	{"nomodel", ErrNoModel}, {"notfound", ErrNotFound}, {"invalid", ErrInvalid},
}

// errorKindOf is the name in errorKinds of the first sentinel err wraps,
// "" when it wraps none.
func errorKindOf(err error) string {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return ""
}

// errorKindNamed is the sentinel errorKinds names name, nil for none.
func errorKindNamed(name string) error {
	for _, k := range errorKinds {
		if k.name == name {
			return k.err
		}
	}
	return nil
}

// readServer answers read requests for an App.
type readServer struct {
	ln   net.Listener
	path string
	wg   sync.WaitGroup
}

// startReads listens on the store's read socket (replacing a stale one).
// It is called once the App holds the store for writing.
func (a *App) startReads() {
	if !a.cfg.ServeReads || a.reads != nil {
		return
	}
	path := ReadSocketPath(a.cfg.DB)
	os.Remove(path) // a socket left by a killed writer: the store lock is ours now
	ln, err := net.Listen("unix", path)
	if err != nil {
		return // readers then wait and retry, as for a writer that does not answer
	}
	rs := &readServer{ln: ln, path: path}
	a.reads = rs
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rs.wg.Add(1)
			go func() {
				defer rs.wg.Done()
				defer c.Close()
				a.answerRead(c)
			}()
		}
	}()
}

// stopReads closes the socket and waits for the answers in flight.
func (a *App) stopReads() {
	if a.reads == nil {
		return
	}
	a.reads.ln.Close()
	a.reads.wg.Wait()
	os.Remove(a.reads.path)
	a.reads = nil
}

func (a *App) answerRead(c net.Conn) {
	var req readRequest
	if err := json.NewDecoder(c).Decode(&req); err != nil {
		return
	}
	ctx := context.Background()
	var res any
	var err error
	switch req.Op {
	case ReadInfo:
		res, err = a.Info(ctx)
	case ReadSimilar:
		var o SimilarOptions
		if err = json.Unmarshal(req.Options, &o); err == nil {
			res, err = a.Similar(ctx, o)
		}
	case ReadExport:
		var o ExportOptions
		if err = json.Unmarshal(req.Options, &o); err == nil {
			res, err = a.Export(ctx, o)
		}
	case ReadCheck:
		res, err = a.Check(ctx, CheckOptions{})
	default:
		err = invalidf("unknown read operation %q", req.Op)
	}
	resp := readResponse{PID: os.Getpid()}
	if res != nil {
		resp.Result, _ = json.Marshal(res)
	}
	if err != nil {
		resp.Error = err.Error()
		resp.Kind = errorKindOf(err)
	}
	json.NewEncoder(c).Encode(resp)
}

// RemoteRead asks the process that holds the store at db for the read
// operation op (one of the Read constants) with options opts, and decodes
// its answer into res. ok is false when no process answers on the store's
// socket. An error of the operation keeps its kind (ErrInvalid, …); pid is
// the answering process.
func RemoteRead(ctx context.Context, db, op string, opts any, res any) (pid int, ok bool, err error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", ReadSocketPath(db))
	if err != nil {
		return 0, false, nil
	}
	defer c.Close()
	if dl, has := ctx.Deadline(); has {
		c.SetDeadline(dl)
	}
	req := readRequest{Op: op}
	if opts != nil {
		if req.Options, err = json.Marshal(opts); err != nil {
			return 0, false, err
		}
	}
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return 0, false, nil
	}
	var resp readResponse
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return 0, false, nil // it went away: the caller retries the store
	}
	if len(resp.Result) > 0 {
		if err := json.Unmarshal(resp.Result, res); err != nil {
			return resp.PID, true, fmt.Errorf("the answer of the writing process (pid %d) does not decode: %w", resp.PID, err)
		}
	}
	if resp.Error != "" {
		kind := errorKindNamed(resp.Kind)
		if kind == nil {
			return resp.PID, true, errors.New(resp.Error)
		}
		return resp.PID, true, &msgError{msg: resp.Error, kind: kind}
	}
	return resp.PID, true, nil
}

// heldByWriter reports whether a lock error is a writer's: badger's writer
// leaves its pid in the lock file (readers share the lock without one), and
// a vecimg writer answers on the read socket.
func heldByWriter(db string, err error) bool {
	var le *store.LockedError
	if errors.As(err, &le) && le.PID > 0 {
		return true
	}
	_, ok := Answering(db)
	return ok
}

// Answering reports whether a process answers on the store's read socket
// (a vecimg writer holds the store), and its pid.
func Answering(db string) (int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var in InfoResult
	pid, ok, _ := RemoteRead(ctx, db, ReadInfo, nil, &in)
	return pid, ok
}

// waitForReaders opens the store for writing once the read-only users that
// hold it have gone: queries are short, so a writer waits for them (telling
// OnWait) rather than failing. A writer that holds the store (it answers on
// the read socket) is not waited for: that error is returned at once.
func (a *App) waitForReaders(first error) (*store.Store, error) {
	if heldByWriter(a.cfg.DB, first) {
		return nil, first // another writer: refused, naming it
	}
	limit := a.cfg.WaitReaders
	if limit <= 0 {
		limit = time.Minute
	}
	if a.cfg.OnWait != nil {
		a.cfg.OnWait(fmt.Sprintf("store %s is being read by another vecimg process; waiting for it to finish (at most %s)", a.cfg.DB, limit))
	}
	deadline := time.Now().Add(limit)
	for pause := 10 * time.Millisecond; ; pause = min(2*pause, 500*time.Millisecond) {
		time.Sleep(pause) // badger's flock offers no wake-up: poll, backing off
		st, err := store.Open(a.cfg.DB, store.Options{})
		if err == nil || !errors.Is(err, store.ErrLocked) {
			return st, err
		}
		if heldByWriter(a.cfg.DB, err) || time.Now().After(deadline) {
			return nil, err
		}
	}
}
