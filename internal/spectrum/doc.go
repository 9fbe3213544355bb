// Package spectrum holds the variance spectrum of real VGG16 fc6 features
// that the synthetic benchmark sets (bench/synth -kind dense) and the
// index's test fixtures share: a power law over the 256 leading principal
// directions, fitted so that the top 10 carry 86% and the top 256 carry
// 99.3% of the centred variance, and an isotropic floor carrying the rest.
// It depends only on the standard library.
package spectrum
