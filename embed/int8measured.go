package embed

// Int8Measurement is what bench/int8.sh measured for int8 against fp32 on
// one kind of CPU (full-size VGG16 fc6 at 448, seeded weights, both models
// alternating in one run).
type Int8Measurement struct {
	Speedup    float64 // int8 img/s ÷ fp32 img/s
	CosineMin  float64 // of int8 to fp32 vectors, over the images
	CosineMean float64
	Where      string // the CPU, the images and the date
}

// int8Measured holds the measurements by CPU kind (DetectCPU().Kind). A
// kind without one has not been measured: nothing is claimed for it.
var int8Measured = map[string]Int8Measurement{
	// bench/int8.sh, 2026-12-02: 5 alternating rounds on 16 dev-set images
	// (ratio of the median img/s; within-round ratios 2.45–4.53×), cosine
	// over the 300 dev-set images and a second 300-image set.
	CPUKindVNNI: {Speedup: 3.36, CosineMin: 0.9994, CosineMean: 0.99964,
		Where: "measured by bench/int8.sh on a 2-vCPU Xeon with AVX512-VNNI, 600 images"},
}

// Int8Measured returns the measurement for a kind of CPU, if there is one.
func Int8Measured(kind string) (Int8Measurement, bool) {
	m, ok := int8Measured[kind]
	return m, ok
}
