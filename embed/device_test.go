package embed

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDevice(t *testing.T) {
	for in, want := range map[string]DeviceRequest{
		"":       {Auto: true},
		"auto":   {Auto: true},
		"cpu":    {Device: Device{Kind: "cpu"}},
		"CUDA":   {Device: Device{Kind: "cuda"}},
		"cuda:3": {Device: Device{Kind: "cuda", ID: 3}},
	} {
		got, err := ParseDevice(in)
		if err != nil || got != want {
			t.Errorf("ParseDevice(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"cuda:x", "cuda:-1", "tpu", "cuda:"} {
		if _, err := ParseDevice(bad); !errors.Is(err, ErrDevice) {
			t.Errorf("ParseDevice(%q) error = %v, want ErrDevice", bad, err)
		}
	}
}

func TestChooseDevice(t *testing.T) {
	auto := DeviceRequest{Auto: true}
	cuda1 := DeviceRequest{Device: Device{Kind: "cuda", ID: 1}}
	okProbe := CUDAProbe{ProviderDir: "/x", DeviceCount: 2}
	cases := []struct {
		name    string
		req     DeviceRequest
		probe   CUDAProbe
		want    string
		why     string // substring of the reason
		wantErr bool
	}{
		{"cpu requested", DeviceRequest{Device: Device{Kind: "cpu"}}, okProbe, "cpu", "requested", false},
		{"auto with GPU", auto, okProbe, "cuda:0", "2 GPU", false},
		{"auto, provider missing", auto, CUDAProbe{ProviderDir: "/lib/ort", MissingProvider: []string{"libonnxruntime_providers_cuda.so"}}, "cpu", "libonnxruntime_providers_cuda.so missing in /lib/ort", false},
		{"auto, libs missing", auto, CUDAProbe{ProviderDir: "/x", MissingLibs: []string{"libcudnn.so.9", "libcublas.so.13"}}, "cpu", "libcudnn.so.9, libcublas.so.13", false},
		{"auto, no device", auto, CUDAProbe{ProviderDir: "/x", DeviceCount: 0, DeviceErr: "CUDA error 100"}, "cpu", "no CUDA device", false},
		{"cuda:1 of 2", cuda1, okProbe, "cuda:1", "", false},
		{"cuda:1 of 1", cuda1, CUDAProbe{ProviderDir: "/x", DeviceCount: 1}, "", "only 1 CUDA device", true},
		{"cuda, libs missing", DeviceRequest{Device: Device{Kind: "cuda"}}, CUDAProbe{ProviderDir: "/x", MissingLibs: []string{"libcudart.so.13"}}, "", "libcudart.so.13", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, why, err := chooseDevice(c.req, c.probe)
			if c.wantErr {
				if !errors.Is(err, ErrDevice) || !strings.Contains(err.Error(), c.why) {
					t.Fatalf("err = %v, want ErrDevice mentioning %q", err, c.why)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != c.want || !strings.Contains(why, c.why) {
				t.Fatalf("got %s (%q), want %s (reason containing %q)", d, why, c.want, c.why)
			}
		})
	}
}

func TestProbeCUDAWithoutProvider(t *testing.T) {
	p := ProbeCUDA(Runtime{Dir: t.TempDir()})
	if len(p.MissingProvider) != 2 {
		t.Fatalf("MissingProvider = %v, want both provider libraries", p.MissingProvider)
	}
	d, why, err := chooseDevice(DeviceRequest{Auto: true}, p)
	if err != nil || d.Kind != "cpu" || !strings.Contains(why, "make gpu") {
		t.Fatalf("auto without provider: %v %q %v", d, why, err)
	}
}

func TestMissingLibraries(t *testing.T) {
	got := missingLibraries([]string{"libc.so.6", "libvecimg-does-not-exist.so.1"})
	if len(got) != 1 || got[0] != "libvecimg-does-not-exist.so.1" {
		t.Fatalf("missingLibraries = %v", got)
	}
}
