package types

// CalMethod is one way of deciding (a signal alone, or all fused) with the
// thresholds calibration chose for it, scored on all pairs and per
// transformation (in the order of DupTransforms).
type CalMethod struct {
	Name         string              `json:"name"`
	Found        bool                `json:"found"` // false: no threshold reached the precision
	Thresholds   SignalThresholds    `json:"thresholds"`
	All          Score               `json:"all"`
	PerTransform []CalTransformScore `json:"per_transform"`
}

// CalTransformScore is a method's score on the copies made by one
// transformation: recall of (original, copy) pairs, precision of the
// predicted pairs that hold such a copy.
type CalTransformScore struct {
	Transform string `json:"transform"`
	Score     Score  `json:"score"`
}

// CalibrateResult is what calibration measured and chose.
type CalibrateResult struct {
	Sample       int         `json:"sample"` // images copied
	Skipped      []BadImage  `json:"skipped,omitempty"`
	Pairs        int         `json:"pairs"`
	Positives    int         `json:"positives"`
	MinPrecision float64     `json:"min_precision"`
	Methods      []CalMethod `json:"methods"` // vectors, phash, dhash, fused
	// Chosen is the fused method's thresholds, stored in the manifest
	// unless DryRun (Saved).
	Chosen  SignalThresholds `json:"chosen"`
	Saved   bool             `json:"saved"`
	Seconds float64          `json:"seconds"`
}
