package server

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// FakeStore gives the external browser test the in-memory backend with n
// generated images, and the folder that holds their files.
func FakeStore(t testing.TB, n int) (Backend, string) {
	f, dir := fakeStore(t, n)
	return f, dir
}

// FakeStoreHeldIngest is FakeStore whose ingest waits until release is
// called (or its context ends), so that a test sees an ingest in progress.
func FakeStoreHeldIngest(t testing.TB, n int) (b Backend, dir string, release func()) {
	f, dir := fakeStore(t, n)
	ch := make(chan struct{})
	var once sync.Once
	f.ingest = func(ctx context.Context) {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	return f, dir, func() { once.Do(func() { close(ch) }) }
}

// FakeStoreCopies is FakeStore with a byte-identical copy ("copy-of-ID")
// of each image: n identical duplicate groups besides the near ones.
func FakeStoreCopies(t testing.TB, n int) Backend {
	f, dir := fakeStore(t, n)
	for i := range n {
		if err := f.addFile(fmt.Sprintf("copy-of-%d", i), filepath.Join(dir, fmt.Sprintf("%d.png", i))); err != nil {
			t.Fatal(err)
		}
	}
	return f
}
