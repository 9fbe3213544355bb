package types

// Names and defaults the front ends show in --help and messages. Each
// equals the value of the library that applies it (internal/app's tests pin
// every one to the library's, so they cannot drift).

// ONNX Runtime and the model (package embed).
const (
	ORTVersion       = "1.29.0"                          // the ONNX Runtime release vecimg is built and tested with
	ORTLibraryEnv    = "ONNXRUNTIME_SHARED_LIBRARY_PATH" // environment variable naming libonnxruntime.so
	VGG16WeightsFile = "vgg16-397923af.pth"              // torchvision's VGG16 weights file
	DefaultMaxPixels = 100_000_000                       // images with more pixels are refused before decoding
)

// PresetNames lists the preprocessing presets, sorted.
func PresetNames() []string { return []string{"blitz", "imagenet"} }

// Model kinds of a store's ModelSpec.
const (
	ModelVGG16    = "vgg16-pth" // VGG16 fc6 built from torchvision .pth weights
	ModelONNX     = "onnx"      // a ready ONNX image model
	ModelImported = "imported"  // vectors brought from elsewhere (vecimg import); no model to run
)

// SchemaVersion is the store schema this build writes.
const SchemaVersion = 3

// k-means (package cluster): ClusterParams' zero fields take these.
const (
	DefaultK         = 5
	DefaultSeed      = 42
	DefaultBatchSize = 1024
	DefaultMaxIter   = 100
	DefaultNInit     = 10
	DefaultRefine    = 20
)

// Duplicates and outliers (internal/dedup).
const (
	DefaultDupThreshold = 0.001 // cosine distance D
	DefaultPHash        = 8     // Hamming distance of the 64-bit pHashes, up to DupLargeStore images
	DefaultPHashLarge   = 4     // the same above DupLargeStore images
	DupLargeStore       = 100_000
	DefaultDHash        = 5   // Hamming distance of the 64-bit dHashes
	DefaultDupK         = 16  // first number of neighbours asked per image
	DefaultDupMaxK      = 256 // cap of the adaptive k
	DefaultOutlierK     = 5
	DefaultOutlierN     = 20
)

// Kinds of DupGroup.Kind.
const (
	DupIdentical = "identical" // same SHA-256
	DupNear      = "near"      // every member matches the kept one
)

// DupTransforms are the copies `dups --calibrate` makes of each sampled
// image, in the order of CalMethod.PerTransform.
func DupTransforms() []string {
	return []string{"jpeg_q30", "resize_50", "crop_5-10", "bright_+20", "bright_-20", "gray", "wm_text", "mirror"}
}

// Parquet (internal/parquetio).
const (
	DefaultRowsPerFile = 100_000    // rows per Parquet file
	SuccessFile        = "_SUCCESS" // written last into a complete Parquet folder
)

// What merge does with the same id holding different content
// (MergeOptions.OnConflict).
const (
	MergeRefuse = "refuse" // write nothing
	MergeRename = "rename" // keep both, the later as ID~N
)
