// Package dots holds the AVX2/FMA kernel that the k-means assignment
// (cluster) and the PCA projection of the index's encoder (index) share:
// the dot products of two vectors with four rows at once, each row and
// vector loaded once per step. Every (vector, row) product is accumulated
// in one fixed order whatever the other operands, so results do not depend
// on how callers pair them. Have says whether this CPU can run it.
package dots
