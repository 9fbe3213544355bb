package embed

import (
	"fmt"
	"runtime"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

// SessionOptions configure an inference session. The zero value runs on the
// best device available with ORT's defaults.
type SessionOptions struct {
	Device  string // auto (default), cpu, cuda, cuda:N
	Threads int    // CPU intra-op threads; 0 = number of CPUs
	// CUDA only:
	TF32           bool   // allow TF32 tensor-core math for fp32 convolutions and GEMMs
	ConvAlgoSearch string // cuDNN conv algorithm search: EXHAUSTIVE (default), HEURISTIC or DEFAULT
}

// Session runs one model on one device. Run is not safe for concurrent use;
// the ingest pipeline runs batches from one goroutine.
type Session struct {
	sess   *ort.DynamicAdvancedSession
	model  *Model
	Device Device
	Why    string // why this device was chosen
}

// NewSession loads the model into ONNX Runtime on the requested device. With
// Device auto it falls back to CPU, and Why says why.
func NewSession(rt Runtime, m *Model, o SessionOptions) (*Session, error) {
	req, err := ParseDevice(o.Device)
	if err != nil {
		return nil, err
	}
	probe := CUDAProbe{DeviceCount: -1}
	if req.Auto || req.Kind == "cuda" {
		probe = ProbeCUDA(rt)
	}
	dev, why, err := chooseDevice(req, probe)
	if err != nil {
		return nil, err
	}
	if m.Input == "" || m.Output == "" {
		if err := inspectModel(m); err != nil {
			return nil, err
		}
	}
	s, err := newSession(m, dev, o)
	if err != nil && dev.Kind == "cuda" && req.Auto {
		why = "CUDA session failed: " + firstLine(err.Error())
		dev = Device{Kind: "cpu"}
		s, err = newSession(m, dev, o)
	}
	if err != nil {
		return nil, err
	}
	s.Why = why
	return s, nil
}

func newSession(m *Model, dev Device, o SessionOptions) (*Session, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: session options: %v", ErrModel, err)
	}
	defer so.Destroy()
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if dev.Kind == "cuda" {
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return nil, fmt.Errorf("%w: CUDA provider options: %v", ErrDevice, err)
		}
		defer co.Destroy()
		search := o.ConvAlgoSearch
		if search == "" {
			search = "EXHAUSTIVE"
		}
		opts := map[string]string{
			"device_id":              strconv.Itoa(dev.ID),
			"cudnn_conv_algo_search": search,
			"use_tf32":               boolStr(o.TF32),
		}
		if err := co.Update(opts); err != nil {
			return nil, fmt.Errorf("%w: CUDA provider options %v: %v", ErrDevice, opts, err)
		}
		if err := so.AppendExecutionProviderCUDA(co); err != nil {
			return nil, fmt.Errorf("%w: enabling CUDA: %v", ErrDevice, err)
		}
	}
	sess, err := ort.NewDynamicAdvancedSession(m.Path, []string{m.Input}, []string{m.Output}, so)
	if err != nil {
		return nil, fmt.Errorf("%w: loading %s on %s: %v", ErrModel, m.Path, dev, err)
	}
	return &Session{sess: sess, model: m, Device: dev}, nil
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// inspectModel fills the input/output names of an external model and checks
// that it takes one NCHW image tensor of the preset's size.
func inspectModel(m *Model) error {
	ins, outs, err := ort.GetInputOutputInfo(m.Path)
	if err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrModel, m.Path, err)
	}
	if len(ins) != 1 || len(outs) < 1 {
		return fmt.Errorf("%w: %s has %d inputs and %d outputs; vecimg needs one image input and a vector output", ErrModel, m.Path, len(ins), len(outs))
	}
	in := ins[0]
	sh := in.Dimensions
	if len(sh) != 4 || (sh[1] != 3 && sh[1] > 0) || (sh[2] > 0 && int(sh[2]) != m.Size) || (sh[3] > 0 && int(sh[3]) != m.Size) {
		return &InputShapeError{Path: m.Path, Input: in.Name, Shape: sh, Size: m.Size}
	}
	if in.DataType != ort.TensorElementDataTypeFloat {
		return fmt.Errorf("%w: %s input %q is %v; vecimg feeds float32", ErrModel, m.Path, in.Name, in.DataType)
	}
	m.Input, m.Output = in.Name, outs[0].Name
	od := outs[0].Dimensions
	if len(od) == 2 && od[1] > 0 {
		m.Dim = int(od[1])
	}
	return nil
}

// Dim is the model's output width (known after the first Run for models whose
// output shape is dynamic).
func (s *Session) Dim() int { return s.model.Dim }

// InputSize is the model's square input size.
func (s *Session) InputSize() int { return s.model.Size }

// DeviceName says where the session runs ("cpu", "cuda:0").
func (s *Session) DeviceName() string { return s.Device.String() }

// Model returns the model this session runs.
func (s *Session) Model() *Model { return s.model }

// Run embeds n preprocessed images laid out back to back in in (n×3×S×S,
// float32, CHW) and writes n×Dim vectors to out, which it grows if needed.
func (s *Session) Run(in []float32, n int, out []float32) ([]float32, error) {
	S := int64(s.model.Size)
	if n <= 0 {
		return out[:0], nil
	}
	if len(in) < n*3*int(S*S) {
		return nil, fmt.Errorf("%w: input holds %d floats, %d images need %d", ErrModel, len(in), n, n*3*int(S*S))
	}
	it, err := ort.NewTensor(ort.NewShape(int64(n), 3, S, S), in)
	if err != nil {
		return nil, fmt.Errorf("%w: input tensor: %v", ErrModel, err)
	}
	defer it.Destroy()
	if s.model.Dim <= 0 {
		outs := []ort.Value{nil}
		if err := s.sess.Run([]ort.Value{it}, outs); err != nil {
			return nil, fmt.Errorf("%w: inference on %s: %v", ErrModel, s.Device, err)
		}
		defer outs[0].Destroy()
		t, ok := outs[0].(*ort.Tensor[float32])
		sh := outs[0].GetShape()
		if !ok || len(sh) != 2 || sh[0] != int64(n) {
			return nil, fmt.Errorf("%w: model output has shape %v, want [%d, D] float32", ErrModel, sh, n)
		}
		s.model.Dim = int(sh[1])
		return append(out[:0], t.GetData()...), nil
	}
	need := n * s.model.Dim
	if cap(out) < need {
		out = make([]float32, need)
	}
	out = out[:need]
	ot, err := ort.NewTensor(ort.NewShape(int64(n), int64(s.model.Dim)), out)
	if err != nil {
		return nil, fmt.Errorf("%w: output tensor: %v", ErrModel, err)
	}
	defer ot.Destroy()
	if err := s.sess.Run([]ort.Value{it}, []ort.Value{ot}); err != nil {
		return nil, fmt.Errorf("%w: inference on %s: %v", ErrModel, s.Device, err)
	}
	return out, nil
}

// Close frees the session.
func (s *Session) Close() error {
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	s.sess = nil
	return err
}
