// Package pca finds the leading principal directions of a centred data
// matrix that it sees only through two products, A·M and Aᵀ·Y, by
// randomised subspace iteration with a Rayleigh–Ritz step (internal/eigen).
// The caller owns the data and the products: index multiplies an in-memory
// float32 sample in parallel, the app's map streams the store in float64
// with bounded memory. It never forms the Cols × Cols covariance.
package pca
