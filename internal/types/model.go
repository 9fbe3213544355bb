package types

// ModelSpec says exactly which model made a store's vectors.
type ModelSpec struct {
	Kind string `json:"kind"`           // ModelVGG16, ModelONNX, ModelImported; "" when unknown
	Name string `json:"name,omitempty"` // ModelImported: the model name the user gave
	// File is the weights or ONNX file used when the store was made (an
	// absolute path; it may have moved since). Empty when unknown.
	File string `json:"file,omitempty"`
	// SHA256 is the hex SHA-256 of File. Stores upgraded from schema 1 know
	// only its first 16 hex digits.
	SHA256    string `json:"sha256,omitempty"`
	InputSize int    `json:"input_size,omitempty"` // model input side in pixels
	Precision string `json:"precision,omitempty"`  // ModelVGG16: fp32, fp16, mixed or int8
	Preset    string `json:"preset"`               // preprocessing preset ("none" when imported)
	// Quant is how an int8 VGG16 was quantised; absent otherwise.
	Quant *QuantSpec `json:"quant,omitempty"`
}

// QuantSpec records an int8 model's quantisation.
type QuantSpec struct {
	Ranges     []float32 `json:"ranges"`      // upper ends of the uint8 activation ranges, in graph order
	WeightBits int       `json:"weight_bits"` // 8, or 7 when built for a CPU without VNNI
	Rule       string    `json:"rule"`        // how the ranges were chosen
	Images     int       `json:"calibration_images"`
	Digest     string    `json:"calibration_sha256"` // hex SHA-256 over the calibration images' SHA-256s, in order
}

// Score is the pair precision and recall of one way of matching
// duplicates on a calibration sample.
type Score struct {
	Precision float64 `json:"precision"` // 0 when nothing was predicted (TP+FP = 0)
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	Positives int     `json:"positives"`
}
