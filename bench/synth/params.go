package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
)

// paramsFormat names the parameter file layout written by bench/fc6/fit.py:
// one line of JSON (paramsHeader), then little-endian float32 arrays in this
// order: mean[dim], centre_std[centre_rank], centre_dirs[centre_rank×dim],
// centre_tail_std[dim], member_std[member_rank], member_dirs[member_rank×dim],
// member_tail_std[dim].
const paramsFormat = "vecimg-synth-params/1"

type paramsHeader struct {
	Format     string  `json:"format"`
	Dim        int     `json:"dim"`
	CentreRank int     `json:"centre_rank"`
	MemberRank int     `json:"member_rank"`
	GroupSize  float64 `json:"group_size"` // mean members per group
	// Fit statistics of the real vectors, for reports (not used to generate).
	Real map[string]float64 `json:"real,omitempty"`
}

// params is a fitted model: x = centre + member noise, where
//
//	centre = mean + Σ_k centreStd[k]·z_k·centreDirs[k] + centreTail ⊙ ε
//	noise  =        Σ_k memberStd[k]·z_k·memberDirs[k] + memberTail ⊙ ε
//
// with z, ε standard normal. Dirs are unit rows; the tails carry the variance
// of the spectrum beyond the explicit directions, per coordinate.
type params struct {
	paramsHeader
	mean                   []float32
	centreStd, memberStd   []float32
	centreDirs, memberDirs [][]float32
	centreTail, memberTail []float32
}

func loadParams(path string) (*params, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("synth parameters: %w (make them with bench/fc6/fit.py; see bench/fc6/README.md)", err)
	}
	defer f.Close()
	p, err := readParams(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("synth parameters %s: %w (regenerate with bench/fc6/fit.py)", path, err)
	}
	return p, nil
}

func readParams(r *bufio.Reader) (*params, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("no header line: %w", err)
	}
	var p params
	if err := json.Unmarshal(line, &p.paramsHeader); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h := p.paramsHeader
	if h.Format != paramsFormat {
		return nil, fmt.Errorf("format %q, want %q", h.Format, paramsFormat)
	}
	if h.Dim < 1 || h.Dim > 1<<16 || h.CentreRank < 0 || h.CentreRank > h.Dim || h.MemberRank < 0 || h.MemberRank > h.Dim {
		return nil, fmt.Errorf("bad shape: dim %d, centre rank %d, member rank %d", h.Dim, h.CentreRank, h.MemberRank)
	}
	if !(h.GroupSize >= 1) {
		return nil, fmt.Errorf("group_size %v, want ≥ 1", h.GroupSize)
	}
	read := func(n int) ([]float32, error) {
		v := make([]float32, n)
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("truncated arrays: %w", err)
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("non-finite value at element %d of an array", i)
			}
		}
		return v, nil
	}
	rows := func(k int) ([][]float32, error) {
		flat, err := read(k * h.Dim)
		if err != nil {
			return nil, err
		}
		out := make([][]float32, k)
		for i := range out {
			out[i] = flat[i*h.Dim : (i+1)*h.Dim]
		}
		return out, nil
	}
	if p.mean, err = read(h.Dim); err != nil {
		return nil, err
	}
	if p.centreStd, err = read(h.CentreRank); err != nil {
		return nil, err
	}
	if p.centreDirs, err = rows(h.CentreRank); err != nil {
		return nil, err
	}
	if p.centreTail, err = read(h.Dim); err != nil {
		return nil, err
	}
	if p.memberStd, err = read(h.MemberRank); err != nil {
		return nil, err
	}
	if p.memberDirs, err = rows(h.MemberRank); err != nil {
		return nil, err
	}
	if p.memberTail, err = read(h.Dim); err != nil {
		return nil, err
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("trailing bytes after the arrays")
	}
	return &p, nil
}

// writeParams writes p in the layout readParams reads (used by tests).
func writeParams(w io.Writer, p *params) error {
	p.Format = paramsFormat
	p.Dim = len(p.mean)
	p.CentreRank = len(p.centreStd)
	p.MemberRank = len(p.memberStd)
	b, err := json.Marshal(p.paramsHeader)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return err
	}
	arrays := [][]float32{p.mean, p.centreStd}
	arrays = append(arrays, p.centreDirs...)
	arrays = append(arrays, p.centreTail, p.memberStd)
	arrays = append(arrays, p.memberDirs...)
	arrays = append(arrays, p.memberTail)
	for _, a := range arrays {
		if err := binary.Write(w, binary.LittleEndian, a); err != nil {
			return err
		}
	}
	return nil
}
