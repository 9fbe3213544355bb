package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/internal/npz"
)

// tinyParams is a fitted model in 16 dimensions: mean 3 on every axis, one
// centre direction, one member direction, small tails.
func tinyParams() *params {
	const d = 16
	p := &params{}
	p.GroupSize = 4
	p.mean = make([]float32, d)
	p.centreTail = make([]float32, d)
	p.memberTail = make([]float32, d)
	for i := range p.mean {
		p.mean[i], p.centreTail[i], p.memberTail[i] = 3, 0.05, 0.02
	}
	e0, e1 := make([]float32, d), make([]float32, d)
	e0[0], e1[1] = 1, 1
	p.centreStd, p.centreDirs = []float32{2}, [][]float32{e0}
	p.memberStd, p.memberDirs = []float32{0.5}, [][]float32{e1}
	return p
}

func roundTrip(t *testing.T, p *params) *params {
	t.Helper()
	var b bytes.Buffer
	if err := writeParams(&b, p); err != nil {
		t.Fatal(err)
	}
	q, err := readParams(bufio.NewReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestParamsRoundTripAndErrors(t *testing.T) {
	p := roundTrip(t, tinyParams())
	if p.Dim != 16 || p.CentreRank != 1 || p.MemberRank != 1 || p.mean[5] != 3 || p.memberDirs[0][1] != 1 {
		t.Fatalf("round trip lost data: %+v", p.paramsHeader)
	}
	var b bytes.Buffer
	writeParams(&b, tinyParams())
	full := b.Bytes()
	for name, data := range map[string][]byte{
		"truncated": full[:len(full)-4],
		"trailing":  append(slices.Clone(full), 0),
		"format":    []byte(strings.Replace(string(full), paramsFormat, "other/1", 1)),
		"no header": []byte("x"),
	} {
		if _, err := readParams(bufio.NewReader(bytes.NewReader(data))); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLayout(t *testing.T) {
	l, err := newLayout(100, 10, 5, 30, 7)
	if err != nil {
		t.Fatal(err)
	}
	base, add, q := l.ids()
	if len(base) != 100 || len(add) != 10 || len(q) != 5 {
		t.Fatalf("sizes %d %d %d", len(base), len(add), len(q))
	}
	seen := map[string]bool{}
	for _, id := range slices.Concat(base, add, q) {
		if seen[id] {
			t.Fatalf("id %s twice", id)
		}
		seen[id] = true
	}
	for p := range l.queryAt {
		if p >= 30 {
			t.Errorf("query position %d outside the first chunk", p)
		}
	}
	if add[0] != "v00000105" || add[9] != "v00000114" {
		t.Errorf("add ids %v, want the last positions", add)
	}
	if _, err := newLayout(10, 0, 40, 30, 1); err == nil {
		t.Error("40 queries for a first chunk of 30 positions: want an error")
	}
}

// generateFile runs the command with args.
func generateFile(t *testing.T, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	if err := run(append(args, "-q"), &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
}

func readNPZ(t *testing.T, path string) ([]string, [][]float32) {
	t.Helper()
	r, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []string
	var vs [][]float32
	for {
		id, v, err := r.Next()
		if err == io.EOF {
			return ids, vs
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		vs = append(vs, slices.Clone(v))
	}
}

func hashFile(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestSeededAndIndependentOfWorkers(t *testing.T) {
	dir := t.TempDir()
	pp := filepath.Join(dir, "p.bin")
	f, _ := os.Create(pp)
	writeParams(f, tinyParams())
	f.Close()
	out := func(name, workers, seed string) string {
		o := filepath.Join(dir, name)
		generateFile(t, "-params", pp, "-n", "500", "-add", "20", "-add-out", o+".add", "-queries", "7",
			"-queries-out", o+".q", "-chunk", "128", "-workers", workers, "-seed", seed, "-out", o)
		return o
	}
	a, b, c := out("a.npz", "1", "5"), out("b.npz", "3", "5"), out("c.npz", "2", "6")
	if hashFile(t, a) != hashFile(t, b) || hashFile(t, a+".q") != hashFile(t, b+".q") {
		t.Error("1 and 3 workers wrote different files")
	}
	if hashFile(t, a) == hashFile(t, c) {
		t.Error("seeds 5 and 6 wrote the same file")
	}
	ids, vs := readNPZ(t, a)
	if len(ids) != 500 || len(vs[0]) != 16 {
		t.Fatalf("read back %d × %d", len(ids), len(vs[0]))
	}
	qids, _ := readNPZ(t, a+".q")
	for _, q := range qids {
		if slices.Contains(ids, q) {
			t.Errorf("query %s is also in the base set", q)
		}
	}
}

func TestFittedMoments(t *testing.T) {
	p := roundTrip(t, tinyParams())
	m := fitted{p}
	l, _ := newLayout(40000, 0, 0, 4000, 3)
	var sum, sq [16]float64
	n := 0
	err := generate(m, l, 2, nil, func(_ int, v []float32) error {
		for i, x := range v {
			sum[i] += float64(x)
			sq[i] += float64(x) * float64(x)
		}
		n++
		return nil
	})
	if err != nil || n != 40000 {
		t.Fatal(err, n)
	}
	variance := func(i int) float64 { m := sum[i] / float64(n); return sq[i]/float64(n) - m*m }
	// axis 0: centre direction, std 2 (+ tails); axis 1: member direction, std 0.5; others: tails only.
	checks := []struct {
		i    int
		want float64
	}{{0, 4 + 0.0025 + 0.0004}, {1, 0.25 + 0.0025 + 0.0004}, {7, 0.0025 + 0.0004}}
	for _, c := range checks {
		if got := variance(c.i); math.Abs(got-c.want) > 0.1*c.want {
			t.Errorf("variance of axis %d = %.4f, want %.4f ± 10%%", c.i, got, c.want)
		}
	}
	if mean := sum[5] / float64(n); math.Abs(mean-3) > 0.01 {
		t.Errorf("mean of axis 5 = %.4f, want 3", mean)
	}
}

func TestIsoMixture(t *testing.T) {
	m := iso{Dim: 64, Components: 3, Noise: 0.1}
	l, _ := newLayout(3000, 0, 0, 1000, 1)
	// Members of one component are close: every vector's cosine to one of
	// the three centres is high.
	centres := make([][]float32, 3)
	for g := range centres {
		centres[g] = make([]float32, 64)
		m.centre(centreRNG(1, 0, g), centres[g])
	}
	err := generate(m, l, 2, nil, func(p int, v []float32) error {
		best := -1.0
		for _, c := range centres {
			best = math.Max(best, cosine(v, c))
		}
		if best < 0.95 {
			t.Fatalf("position %d: best cosine to a centre %.3f", p, best)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

func TestRunRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-kind", "iso"},
		{"-kind", "iso", "-out", filepath.Join(dir, "x.npz"), "-add", "5"},
		{"-kind", "nope", "-out", filepath.Join(dir, "x.npz")},
		{"-params", filepath.Join(dir, "missing.bin"), "-out", filepath.Join(dir, "x.npz")},
	} {
		if err := run(args, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.npz")); err == nil {
		t.Error("a refused run wrote its output")
	}
}
