// Package server is `vecimg serve`: an HTTP server that keeps one store open
// and answers a JSON API under /api/v1/, serves thumbnails and originals of
// stored images, and the library web page (static files in web/, embedded
// with embed.FS; plain HTML, CSS and JavaScript, no build step).
//
// It owns HTTP concerns only: routes, parameter checks and JSON errors (4xx
// saying what was wrong), the token check, request logs (log/slog), body
// and pixel limits on uploads, caching headers, the --watch loop (fsnotify
// events plus periodic rescans) and a graceful stop (drain requests, let
// the running ingest commit its batch). Every store operation goes through
// the Backend interface, which the application layer (internal/app)
// implements with the same operations the CLI calls; tests use a fake.
//
// Media answers name images by stored id only; the file read is the path
// the stored record holds, never one from the request.
//
// The package imports no vecimg package but internal/types (the types the
// Backend speaks), so it stays free of cgo (embed) and badger.
package server
