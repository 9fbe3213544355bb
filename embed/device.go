package embed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Device is where inference runs.
type Device struct {
	Kind string // "cpu" or "cuda"
	ID   int    // CUDA device ordinal
}

func (d Device) String() string {
	if d.Kind == "cuda" {
		return fmt.Sprintf("cuda:%d", d.ID)
	}
	return d.Kind
}

// DeviceRequest is the device asked for: auto, cpu, cuda or cuda:N.
type DeviceRequest struct {
	Auto bool
	Device
}

// ParseDevice reads a device name: auto (or ""), cpu, cuda (or gpu), cuda:N.
func ParseDevice(s string) (DeviceRequest, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "" || s == "auto":
		return DeviceRequest{Auto: true}, nil
	case s == "cpu":
		return DeviceRequest{Device: Device{Kind: "cpu"}}, nil
	case s == "cuda" || s == "gpu":
		return DeviceRequest{Device: Device{Kind: "cuda"}}, nil
	case strings.HasPrefix(s, "cuda:"):
		n, err := strconv.Atoi(s[5:])
		if err != nil || n < 0 {
			return DeviceRequest{}, fmt.Errorf("%w: device name %q: the CUDA ordinal must be a number ≥ 0, e.g. cuda:0", ErrDevice, s)
		}
		return DeviceRequest{Device: Device{Kind: "cuda", ID: n}}, nil
	}
	return DeviceRequest{}, fmt.Errorf("%w: device name %q: use auto, cpu, cuda or cuda:N", ErrDevice, s)
}

// CUDALibraries are the libraries the ORT 1.29 CUDA provider (CUDA 13 build)
// loads; they must be findable by the dynamic loader (LD_LIBRARY_PATH or
// ld.so.cache).
var CUDALibraries = []string{"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"}

// cudaProviderFiles are the ORT provider libraries that must sit beside libonnxruntime.
var cudaProviderFiles = []string{"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"}

// CUDAProbe is what was found about CUDA on this machine.
type CUDAProbe struct {
	ProviderDir     string   // where the provider libraries were looked for
	MissingProvider []string // provider files not found beside libonnxruntime
	MissingLibs     []string // CUDA/cuDNN libraries the loader cannot open
	DeviceCount     int      // from cudaGetDeviceCount; -1 when not asked
	DeviceErr       string   // why the device count could not be read
}

// ProbeCUDA looks for the CUDA provider next to the loaded runtime, the CUDA
// libraries it needs, and the number of GPUs. It does not create a session.
func ProbeCUDA(rt Runtime) CUDAProbe {
	p := CUDAProbe{ProviderDir: rt.Dir, DeviceCount: -1}
	for _, f := range cudaProviderFiles {
		if rt.Dir == "" {
			p.MissingProvider = append(p.MissingProvider, f)
			continue
		}
		if _, err := os.Stat(filepath.Join(rt.Dir, f)); err != nil {
			p.MissingProvider = append(p.MissingProvider, f)
		}
	}
	if len(p.MissingProvider) > 0 {
		return p
	}
	p.MissingLibs = missingLibraries(CUDALibraries)
	if len(p.MissingLibs) > 0 {
		return p
	}
	p.DeviceCount, p.DeviceErr = cudaDeviceCount()
	return p
}

// chooseDevice decides where to run from the request and the probe. For auto
// it returns CPU with the reason when CUDA cannot be used; for an explicit
// cuda request it returns an error carrying the same reason.
func chooseDevice(req DeviceRequest, p CUDAProbe) (Device, string, error) {
	if !req.Auto && req.Kind == "cpu" {
		return Device{Kind: "cpu"}, "requested", nil
	}
	want := req.Device
	if req.Auto {
		want = Device{Kind: "cuda"}
	}
	reason := ""
	switch {
	case len(p.MissingProvider) > 0:
		dir := p.ProviderDir
		if dir == "" {
			dir = "the ONNX Runtime library's folder"
		}
		reason = fmt.Sprintf("CUDA provider not installed (%s missing in %s; `make gpu` installs it)", strings.Join(p.MissingProvider, ", "), dir)
	case len(p.MissingLibs) > 0:
		reason = fmt.Sprintf("CUDA libraries not found: %s (put the CUDA 13 and cuDNN 9 libraries on LD_LIBRARY_PATH)", strings.Join(p.MissingLibs, ", "))
	case p.DeviceCount == 0:
		reason = "no CUDA device answered"
		if p.DeviceErr != "" {
			reason += " (" + p.DeviceErr + ")"
		}
	case p.DeviceCount > 0 && want.ID >= p.DeviceCount:
		reason = fmt.Sprintf("cuda:%d requested but only %d CUDA device(s) present", want.ID, p.DeviceCount)
	}
	if reason == "" {
		return want, fmt.Sprintf("CUDA provider loaded, %d GPU(s)", p.DeviceCount), nil
	}
	if req.Auto {
		return Device{Kind: "cpu"}, reason, nil
	}
	return Device{}, reason, fmt.Errorf("%w: %s: %s", ErrDevice, want, reason)
}
