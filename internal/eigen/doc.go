// Package eigen diagonalises the small dense symmetric matrices of the two
// randomised PCAs (index's codebook and the app's map): the Rayleigh-Ritz
// step after a sketch, at most a few dozen rows. It depends only on the
// standard library.
package eigen
