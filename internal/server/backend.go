package server

import (
	"context"
	"errors"

	"github.com/vecimg/vecimg/internal/types"
)

// Backend is what the server needs from the application layer. The server
// owns this seam and speaks internal/types in it; internal/app implements
// it (app.NewServeBackend) and the tests use an in-memory fake. Implementations must be safe for concurrent
// use: queries arrive while an ingest or a clustering runs.
type Backend interface {
	// Info describes the store.
	Info(ctx context.Context) (types.ServerInfo, error)
	// List returns one page of stored images in natural id order.
	List(ctx context.Context, o types.ListOptions) (types.ListPage, error)
	// Image returns one stored image; ErrNotFound when the id is not stored.
	Image(ctx context.Context, id string) (types.Image, error)
	// Neighbours returns the k stored images nearest to the stored image id
	// (itself left out), nearest first.
	Neighbours(ctx context.Context, id string, k int, exact bool) ([]types.Neighbour, error)
	// SearchImage embeds an image file's bytes with the store's model and
	// preset, without storing it, and returns its k nearest stored images.
	SearchImage(ctx context.Context, data []byte, name string, k int, exact bool) ([]types.Neighbour, error)
	// Clusters returns the last clustering's sizes and settings.
	Clusters(ctx context.Context) (types.Clusters, error)
	// Cluster runs k-means over the store and writes the labels back, as
	// `vecimg cluster` does.
	Cluster(ctx context.Context, o types.ClusterRequest) (types.Clusters, error)
	// Map projects every stored vector to 2-D (PCA).
	Map(ctx context.Context) (types.Map, error)
	// Dups finds the groups of byte-identical and near-duplicate images at
	// cosine distance threshold (0: the backend's default), largest group
	// first, as `vecimg dups` does. It may answer from a cache of the same
	// store generation and threshold.
	Dups(ctx context.Context, threshold float64) (types.Dups, error)
	// Ingest embeds the images under dir that are new or changed, with the
	// rules of `vecimg ingest`, making each committed batch searchable at
	// once. progress is called after every committed batch. When ctx is
	// cancelled it stops after committing the batch in flight.
	Ingest(ctx context.Context, dir string, progress func(types.IngestProgress)) (types.IngestReport, error)
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
