package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/vecimg/vecimg/internal/server"
)

// ServeOptions configure Serve: the server's settings (zero values take
// the server's defaults) and those of the backend's ingests.
type ServeOptions struct {
	Addr      string // host:port; types.DefaultAddr when empty
	Token     string // when set, every /api/ request must carry it
	MaxUpload int64  // bytes accepted in an upload
	MaxPixels int64  // pixels accepted in an uploaded or thumbnailed image
	// WatchDir, when set, is ingested at start, on file events and every
	// Rescan (types.DefaultRescan when 0, none when < 0).
	WatchDir    string
	Rescan      time.Duration
	FollowLinks bool
	Log         *slog.Logger // request and watch logs; discarded when nil
	// OnListen is called with the address actually bound, before serving.
	OnListen func(addr string) error

	// Model, Batch and Workers are those of the --watch ingests and of
	// embedding uploads (0: the ingest defaults).
	Model          ModelOptions
	Batch, Workers int
	// OnWarn hears about a failed index save after an ingest.
	OnWarn func(msg string)
}

// Serve runs `vecimg serve` over a until ctx ends: the server answers
// through a ServeBackend of a, which stays owned by the caller.
func (a *App) Serve(ctx context.Context, o ServeOptions) error {
	b := NewServeBackend(a, ServeBackendOptions{Model: o.Model, Batch: o.Batch, Workers: o.Workers,
		FollowLinks: o.FollowLinks, OnWarn: o.OnWarn})
	cfg := server.Config{Addr: o.Addr, Token: o.Token, MaxUpload: o.MaxUpload, MaxPixels: o.MaxPixels,
		WatchDir: o.WatchDir, Rescan: o.Rescan, FollowLinks: o.FollowLinks, Log: o.Log, OnListen: o.OnListen}
	return server.New(b, cfg).Run(ctx)
}
