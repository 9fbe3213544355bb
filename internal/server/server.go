package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vecimg/vecimg/internal/types"
)

// connState, when set (by tests, before a server starts), sees the
// connections' state changes (http.Server.ConnState).
var connState func(net.Conn, http.ConnState)

// Defaults for Config's zero fields.
const (
	DefaultAddr      = types.DefaultAddr
	DefaultMaxUpload = 32 << 20
	DefaultMaxPixels = types.DefaultMaxPixels
	DefaultRescan    = types.DefaultRescan
	DefaultThumbSize = 256
	// DrainTimeout bounds how long a stopping server waits for requests in
	// flight.
	DrainTimeout = 10 * time.Second
)

// Timeouts of the HTTP server. Writes get long enough for a clustering of
// a large store or an upload embedded on CPU.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
)

// Config configures a Server. The zero value serves on DefaultAddr with no
// token, no watch and the default limits.
type Config struct {
	Addr      string // host:port; DefaultAddr when empty
	Token     string // when set, every /api/ request must carry it
	MaxUpload int64  // bytes accepted in an upload; DefaultMaxUpload when 0
	MaxPixels int64  // pixels accepted in an uploaded or thumbnailed image; DefaultMaxPixels when 0
	ThumbSize int    // longest side of thumbnails; DefaultThumbSize when 0

	// WatchDir, when set, is ingested at start and again whenever files
	// under it appear or change (fsnotify), and every Rescan.
	WatchDir string
	Rescan   time.Duration // periodic rescan of WatchDir; DefaultRescan when 0, none when < 0
	// FollowLinks serves image files reached through symbolic links that
	// lead out of the folder they were ingested from (by default refused:
	// see sourcePath); the backend's ingests follow them too.
	FollowLinks bool

	Log *slog.Logger // request and watch logs; discarded when nil
	// OnListen is called with the address actually bound, before serving.
	OnListen func(addr string) error
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.ThumbSize <= 0 {
		c.ThumbSize = DefaultThumbSize
	}
	if c.Rescan == 0 {
		c.Rescan = DefaultRescan
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Server serves the JSON API, the media and the web page for one Backend.
type Server struct {
	b      Backend
	cfg    Config
	log    *slog.Logger
	thumbs *thumbCache
	watch  *watchState

	clusterMu sync.Mutex // one clustering at a time

	// hosts, when set (a loopback listener), are the Host headers answered;
	// others are refused, so that a web page whose name was rebound to
	// 127.0.0.1 cannot read the store (DNS rebinding).
	hosts map[string]bool
}

// New returns a server for b. It starts nothing; see Handler and Run.
func New(b Backend, cfg Config) *Server {
	cfg = cfg.withDefaults()
	return &Server{b: b, cfg: cfg, log: cfg.Log, thumbs: newThumbCache(64 << 20),
		watch: &watchState{Dir: cfg.WatchDir}}
}

// IsLoopback reports whether addr (host:port) binds only to the loopback
// interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run listens on cfg.Addr and serves until ctx is cancelled; then it stops
// accepting connections, lets requests in flight finish (up to
// DrainTimeout), stops the watch after its running batch is committed, and
// returns. With WatchDir set it ingests that folder first, in the
// background: queries are answered meanwhile.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w (pick another --addr, or stop what uses it)", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	addr := ln.Addr().String()
	if IsLoopback(addr) {
		_, port, _ := net.SplitHostPort(addr)
		s.hosts = map[string]bool{}
		for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
			s.hosts[h+":"+port] = true
		}
		if host, _, _ := net.SplitHostPort(addr); host != "" {
			s.hosts[net.JoinHostPort(host, port)] = true
		}
	} else {
		s.log.Warn("listening on a non-loopback address: other machines can reach this server; set --token", "addr", addr, "token", s.cfg.Token != "")
	}
	if s.cfg.OnListen != nil {
		if err := s.cfg.OnListen(addr); err != nil {
			ln.Close()
			return err
		}
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnState:         connState,
	}
	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	watchDone := make(chan struct{})
	if s.cfg.WatchDir != "" {
		go func() {
			defer close(watchDone)
			s.runWatch(watchCtx)
		}()
	} else {
		close(watchDone)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", addr, "watch", s.cfg.WatchDir, "token", s.cfg.Token != "")

	var err error
	select {
	case <-ctx.Done():
		if s.cfg.WatchDir != "" {
			s.log.Info("stopping: draining requests and committing the running ingest batch")
		} else {
			s.log.Info("stopping: draining requests")
		}
	case err = <-serveErr:
	}
	stopWatch()
	drain, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	defer cancel()
	if serr := srv.Shutdown(drain); serr != nil {
		s.log.Warn("requests still running after the drain timeout were cut", "err", serr)
	}
	<-watchDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("stopped")
	return err
}
