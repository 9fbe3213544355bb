// Package vec holds the limits and validity checks that store, index and
// cluster share: one definition of how long an id may be, how many values a
// vector may have, and what makes a vector unusable (wrong length, NaN, ±Inf,
// all zeros). It depends only on the standard library.
package vec
