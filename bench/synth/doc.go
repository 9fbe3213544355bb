// Command synth writes seeded synthetic feature vectors for the scale
// benchmark (bench/scale.sh) as NumPy .npz archives (ids '<U', vectors '<f4'
// N×D, as np.savez writes them), streaming: the vectors are never all in
// memory, so 1M × 4096 (16 GB) is written with about 100 MB of RAM.
//
// Two kinds of data:
//
//   - fitted (default): vectors shaped like real VGG16 fc6 features. The
//     parameters come from bench/fc6/fit.py, which fits them to real fc6
//     vectors of photos (see bench/fc6/README.md): the mean, the leading
//     principal directions and variances, an extrapolated tail of the
//     spectrum, and the group structure (several views of one scene). Each
//     group has a centre drawn from the "between groups" part of the fitted
//     distribution; each member is centre + noise shaped like the real
//     within-group differences, scaled so that cosines to near neighbours
//     match the real vectors.
//   - iso: an isotropic Gaussian mixture (centres N(0, I), members centre +
//     Noise·N(0, I)), the worst case for compressed codes.
//
// Layout: vectors are generated in position order 0..T-1 (T = base + add +
// queries) in chunks of -chunk positions; every chunk draws its own groups
// and members of a group are spread over the chunk at random, so any prefix of
// whole chunks is a sample of the same distribution. The held-out queries are
// random positions of the first chunk (their group mates are in every prefix
// of at least one chunk), the -add vectors are the last positions, the base
// set is everything else, in order. Every vector depends only on the seed and
// its position (and its chunk's centres), so output does not depend on the
// number of worker goroutines.
//
//	go run ./bench/synth -params .bench/scale/fc6-params.bin -n 1000000 \
//	    -add 10000 -queries 200 -out .bench/scale/base.npz \
//	    -add-out .bench/scale/add.npz -queries-out .bench/scale/queries.npz
package main
