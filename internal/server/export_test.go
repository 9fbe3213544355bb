package server

import "testing"

// FakeStore gives the external browser test the in-memory backend with n
// generated images, and the folder that holds their files.
func FakeStore(t testing.TB, n int) (Backend, string) {
	f, dir := fakeStore(t, n)
	return f, dir
}
