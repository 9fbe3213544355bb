// Command synth writes seeded synthetic feature vectors for the scale
// benchmark (bench/scale.sh) as NumPy .npz archives (ids '<U', vectors '<f4'
// N×D, as np.savez writes them), streaming: the vectors are never all in
// memory, so 1M × 4096 (16 GB) is written with about 100 MB of RAM.
//
// Three kinds of data:
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
//   - dense: tight groups, the case real archives have (burst shots,
//     product variants): groups of 10 to 1,000 members (log-uniform sizes)
//     whose 10th-nearest neighbour is at cosine distance 0.002-0.005
//     (TestDenseNeighbours: 5th percentile 0.0018, median 0.0026, 95th
//     0.0052), on the fc6 spectrum the index tests use (mean 90% of E|x|²;
//     top 10 of the centred variance 86%, top 256 99.3%), built in: it needs
//     no parameter file;
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
