package index

import (
	"encoding/binary"
	"hash/fnv"
	"io"
	"os"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/npz"
)

func readNPZ(t *testing.T, path string, limit int) ([]string, [][]float32) {
	r, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]float32
	var ids []string
	for len(out) < limit {
		id, v, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]float32(nil), v...))
		ids = append(ids, id)
	}
	return ids, out
}

// TestProbeScale measures recall on vectors from .npz files (the fitted
// sets bench/synth writes), as the README's trade-off tables were made:
//
//	PROBE_BASE=base.npz PROBE_Q=queries.npz PROBE_N=100000 \
//	  [PROBE_INDEX=store.db.hnsw] [PROBE_VARIANTS=1] \
//	  go test -run TestProbeScale -v -timeout 60m ./index/
//
// It logs recall@10 of the code scan (every code, then re-rank: what the
// codes lose), of the graph walk per ef, the bottom layer's out-degree
// histogram, and with PROBE_VARIANTS of other graph settings. Skipped
// unless PROBE_BASE is set.
func TestProbeScale(t *testing.T) {
	base := os.Getenv("PROBE_BASE")
	if base == "" {
		t.Skip("set PROBE_BASE (and PROBE_Q) to .npz files")
	}
	ids, b := readNPZ(t, base, envInt(t, "PROBE_N", 20000))
	_, qs := readNPZ(t, os.Getenv("PROBE_Q"), 200)
	src := newMemSource()
	for i, v := range b {
		src.vecs[ids[i]] = v
		src.vers[ids[i]] = 1
	}
	b = nil
	t0 := time.Now()
	truth := exactIDs(t, src, qs, 10)
	t.Logf("truth %v", time.Since(t0))
	var x *Index
	if p := os.Getenv("PROBE_INDEX"); p != "" {
		var err error
		if x, err = OpenFile(p); err != nil {
			t.Fatal(err)
		}
		x.SetFetcher(src)
	} else {
		x = build(t, src, len(qs[0]), Config{})
	}
	t.Logf("codedim %d trainRes %.4f", x.CodeDim(), x.cb.trainRes)
	outdeg := map[int]int{}
	for s := range x.slots() {
		outdeg[len(x.links(uint32(s), 0))/4]++
	}
	t.Logf("bottom-layer out-degree / 4 histogram: %v", outdeg)
	run := func(name string, opt SearchOptions) {
		t0 := time.Now()
		got := searchAll(t, x, qs, opt)
		t.Logf("%s ef %d rerank %d: recall %.4f %.3f ms/q", name, opt.Ef, opt.Rerank, recallOf(truth, got), float64(time.Since(t0).Microseconds())/1e3/float64(len(qs)))
	}
	x.cfg.ExactBelow = 1 << 30
	for _, rr := range []int{20, 40, 80, 160} {
		run("scan", SearchOptions{K: 10, Rerank: rr})
	}
	x.cfg.ExactBelow = DefaultExactBelow
	for _, ef := range []int{64, 128, 512} {
		run("graph", SearchOptions{K: 10, Ef: ef, Rerank: 40, Method: Graph})
	}
	variants := []struct {
		name string
		cfg  Config
		kp   bool
	}{{"heuristic-only", Config{}, false}, {"M24", Config{M: 24}, true}, {"efC100", Config{EfConstruction: 100}, true}}
	for _, v := range variants {
		if os.Getenv("PROBE_VARIANTS") == "" {
			break
		}
		keepPruned = v.kp
		t0 := time.Now()
		x = build(t, src, len(qs[0]), v.cfg)
		t.Logf("variant %s: build %v", v.name, time.Since(t0))
		for _, ef := range []int{64, 128} {
			run(v.name, SearchOptions{K: 10, Ef: ef, Rerank: 40, Method: Graph})
		}
		keepPruned = true
	}
}

// TestProbeBuild times Build on the first PROBE_N vectors of PROBE_BASE
// and hashes the links it made: two builds that should make the same graph
// (a change meant to alter speed only) must print the same hash.
func TestProbeBuild(t *testing.T) {
	base := os.Getenv("PROBE_BASE")
	if base == "" {
		t.Skip("set PROBE_BASE to an .npz file")
	}
	ids, b := readNPZ(t, base, envInt(t, "PROBE_N", 100000))
	src := newMemSource()
	for i, v := range b {
		src.vecs[ids[i]] = v
		src.vers[ids[i]] = 1
	}
	dim := len(b[0])
	b = nil
	t0 := time.Now()
	x := build(t, src, dim, Config{})
	wall := time.Since(t0)
	h := fnv.New64a()
	binary.Write(h, binary.LittleEndian, x.l0)
	binary.Write(h, binary.LittleEndian, x.upLinks)
	t.Logf("build %.1f s; links hash %016x", wall.Seconds(), h.Sum64())
}
