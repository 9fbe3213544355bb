// Package eigen diagonalises the small dense symmetric matrices of
// internal/pca's Rayleigh-Ritz step after a sketch (a few hundred rows at
// most: index's codebook uses 272). It depends only on the standard library.
package eigen
