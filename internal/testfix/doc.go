// Package testfix makes the small fixtures that the tests of the app layer
// and of its front ends share, in code, so that no package's tests read
// another package's testdata: noise PNGs, .npz files of seeded vectors, a
// store with known duplicate groups, and snapshots of files that prove a
// refused command wrote nothing; and it holds the one check that skips a
// test needing ONNX Runtime (or fails it under VECIMG_REQUIRE_ORT). It is
// imported by tests only; every helper takes the test's testing.TB and
// fails it on an error.
package testfix
