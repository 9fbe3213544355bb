package embed

import (
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"
)

// CPUFeatures are the processor features that decide how int8 models run.
type CPUFeatures struct {
	Arch    string `json:"arch"`
	AVX2    bool   `json:"avx2"`
	AVX512  bool   `json:"avx512"`      // AVX-512 F and BW
	VNNI    bool   `json:"vnni"`        // AVX512-VNNI or AVX-VNNI: u8×s8 dot products without saturation
	AMXInt8 bool   `json:"amx_int8"`    // AMX tiles with int8 (ONNX Runtime uses them in QGEMM)
	Summary string `json:"summary"`     // e.g. "amd64 avx2 avx512 vnni"
	Kind    string `json:"kind"`        // CPUKindVNNI, CPUKindAVX2 or CPUKindOther
	Bits    int    `json:"weight_bits"` // DefaultWeightBits on this CPU
}

// Kinds of CPU for int8 inference.
const (
	CPUKindVNNI  = "x86-vnni" // AVX512-VNNI or AVX-VNNI (AMX too, if present)
	CPUKindAVX2  = "x86-avx2" // AVX2 without VNNI: 7-bit weights
	CPUKindOther = "other"    // another architecture
)

// DetectCPU reports this machine's features (at run time).
func DetectCPU() CPUFeatures {
	f := CPUFeatures{Arch: runtime.GOARCH}
	if runtime.GOARCH == "amd64" {
		f.AVX2 = cpu.X86.HasAVX2
		f.AVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
		f.VNNI = (f.AVX512 && cpu.X86.HasAVX512VNNI) || cpu.X86.HasAVXVNNI
		f.AMXInt8 = cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8
	}
	s := []string{f.Arch}
	for _, x := range []struct {
		on   bool
		name string
	}{{f.AVX2, "avx2"}, {f.AVX512, "avx512"}, {f.VNNI, "vnni"}, {f.AMXInt8, "amx-int8"}} {
		if x.on {
			s = append(s, x.name)
		}
	}
	f.Summary = strings.Join(s, " ")
	switch {
	case f.Arch == "amd64" && f.VNNI:
		f.Kind, f.Bits = CPUKindVNNI, 8
	case f.Arch == "amd64":
		f.Kind, f.Bits = CPUKindAVX2, 7
	default:
		f.Kind, f.Bits = CPUKindOther, 8
	}
	return f
}

// DefaultWeightBits is the weight width int8 models get when built on this
// CPU: 8, or 7 on x86-64 without VNNI, where ONNX Runtime's AVX2 kernels
// add u8×s8 pairs in saturating int16 (vpmaddubsw) and 8-bit weights can
// overflow. The width is recorded with the model, so a store keeps its
// exact model on any CPU.
func DefaultWeightBits() int { return DetectCPU().Bits }
