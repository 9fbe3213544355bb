// Package phash computes 64-bit perceptual hashes of decoded images, compared
// by Hamming distance, for duplicate finding (vecimg dups):
//
//   - PHash: the image in gray (ITU-R 601 luma), reduced to 32×32 by area
//     averaging, its 2-D DCT-II; bit i is set when the i-th of the 8×8
//     lowest-frequency coefficients (row-major, DC included) is above their
//     median.
//   - DHash: the 32×32 gray image reduced again to 9×8; bit i is set when a
//     pixel is brighter than its left neighbour (8 comparisons per row).
//   - PMirror: PHash of the left-right mirrored image, computed from the
//     same coefficients (mirroring negates the odd horizontal frequencies),
//     so that a mirrored copy is found with min(PHash vs PHash, PHash vs
//     PMirror).
//   - PCentre: the pHash of the thumbnail's central 28×28 pixels (6.25% cut
//     off each side), with the DCT basis of that square, so that a copy
//     cropped by 4–9% on each side has a PHash near its original's PCentre;
//     PDistance compares each image's PCentre with the other's PHash too.
//
// Area averaging makes the hashes stable under rescaling and re-encoding;
// gray makes them blind to colour changes. The image is read once, with
// fast paths for the decoders' types (gray, YCbCr, RGBA, NRGBA, and packed
// BGR through FromBGR). Pure Go, standard library only, safe for concurrent
// use.
package phash
