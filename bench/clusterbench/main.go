// Command clusterbench generates a seeded Gaussian-mixture .npy file and
// runs vecimg's k-means (package cluster) on any N×D float32 .npy file,
// writing labels, centres and timings for bench/cluster_sklearn.py to
// compare against scikit-learn. bench/cluster.sh drives it; see there.
//
//	clusterbench gen -out X.npy -truth y.npy -n 20000 -d 4096 -k 50 -seed 42
//	clusterbench run -in X.npy -k 50 -out DIR/vecimg [-stream] [cluster options]
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/internal/npz"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: clusterbench gen|run [flags] (see -h of each)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (want gen or run)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

// gen writes n points in d dimensions from a mixture of k isotropic
// Gaussians: means N(0, spread²) per coordinate, per-cluster standard
// deviation uniform in [sigmaMin, sigmaMax], mixture weights exp(U(-1, 1))
// (the largest cluster about 7× the smallest), points in random order.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("out", "", "output .npy (float32, n×d)")
	truth := fs.String("truth", "", "output .npy for the true component of each point (int32), optional")
	n := fs.Int("n", 20000, "points")
	d := fs.Int("d", 4096, "dimensions")
	k := fs.Int("k", 50, "mixture components")
	seed := fs.Uint64("seed", 42, "random seed")
	spread := fs.Float64("spread", 0.1, "standard deviation of the component means per coordinate")
	sigmaMin := fs.Float64("sigma-min", 0.8, "smallest component standard deviation")
	sigmaMax := fs.Float64("sigma-max", 1.2, "largest component standard deviation")
	fs.Parse(args)
	if *out == "" {
		return errors.New("gen: -out is required")
	}
	rng := rand.New(rand.NewPCG(*seed, 1))
	means := make([][]float32, *k)
	sigma := make([]float64, *k)
	cum := make([]float64, *k)
	acc := 0.0
	for c := range *k {
		means[c] = make([]float32, *d)
		for j := range means[c] {
			means[c][j] = float32(rng.NormFloat64() * *spread)
		}
		sigma[c] = *sigmaMin + rng.Float64()*(*sigmaMax-*sigmaMin)
		acc += math.Exp(2*rng.Float64() - 1)
		cum[c] = acc
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(npz.EncodeHeader("<f4", *n, *d)); err != nil {
		return err
	}
	labels := make([]int32, *n)
	b := make([]byte, 4)
	for i := range *n {
		r, c := rng.Float64()*acc, 0
		for c < *k-1 && cum[c] <= r {
			c++
		}
		labels[i] = int32(c)
		for j := range *d {
			v := means[c][j] + float32(rng.NormFloat64()*sigma[c])
			binary.LittleEndian.PutUint32(b, math.Float32bits(v))
			w.Write(b)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if *truth != "" {
		return npz.WriteNpy(*truth, labels, len(labels))
	}
	return nil
}

// fileSource streams rows of an .npy file on every Scan.
type fileSource struct{ m *npz.Matrix }

func (s fileSource) Len() int { return s.m.N }
func (s fileSource) Dim() int { return s.m.D }
func (s fileSource) Scan(ctx context.Context, fn func(int, string, []float32) error) error {
	return s.m.Rows(func(i int, v []float32) error {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return fn(i, strconv.Itoa(i), v)
	})
}

type report struct {
	Name         string          `json:"name"`
	Mode         string          `json:"mode"`
	WallSeconds  float64         `json:"wall_s"`
	CPUSeconds   float64         `json:"cpu_s"`
	Inertia      float64         `json:"inertia"`
	Swaps        int             `json:"swaps"`
	Iterations   int             `json:"iterations"`
	RefinePasses int             `json:"refine_passes"`
	Converged    bool            `json:"converged"`
	Reseeded     int             `json:"reseeded"`
	GOMAXPROCS   int             `json:"gomaxprocs"`
	Options      cluster.Options `json:"options"`
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	in := fs.String("in", "", "input .npy (float32, n×d)")
	out := fs.String("out", "", "output prefix: writes PREFIX_labels.npy, PREFIX_centers.npy, PREFIX.json")
	name := fs.String("name", "vecimg", "name of this run in the report")
	stream := fs.Bool("stream", false, "stream from the file on every pass instead of loading it (sets MemoryLimit to -memlimit)")
	memlimit := fs.Int64("memlimit", 64<<20, "MemoryLimit in bytes for -stream")
	var o cluster.Options
	fs.IntVar(&o.K, "k", 5, "clusters")
	fs.Uint64Var(&o.Seed, "seed", 42, "seed")
	fs.IntVar(&o.BatchSize, "batch-size", 0, "mini-batch size (0: default)")
	fs.IntVar(&o.MaxIter, "max-iter", 0, "mini-batch steps (0: default)")
	fs.IntVar(&o.NInit, "n-init", 0, "initialisations (0: default)")
	fs.IntVar(&o.Refine, "refine", 0, "Lloyd passes (0: default, negative: none)")
	fs.Float64Var(&o.Tol, "tol", 0, "tolerance (0: default, negative: none)")
	fs.BoolVar(&o.Normalize, "normalize", false, "spherical k-means")
	fs.IntVar(&o.SampleSize, "sample-size", 0, "seeding sample size (0: default)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of Fit to this file")
	fs.Parse(args)
	if *in == "" || *out == "" {
		return errors.New("run: -in and -out are required")
	}
	m, err := npz.OpenMatrix(*in)
	if err != nil {
		return err
	}
	var src cluster.Source = fileSource{m}
	mode := "stream"
	if *stream {
		o.MemoryLimit = *memlimit
	} else {
		mode = "memory"
		ids := make([]string, m.N)
		vecs := make([][]float32, m.N)
		err := m.Rows(func(i int, v []float32) error {
			ids[i], vecs[i] = strconv.Itoa(i), append([]float32(nil), v...)
			return nil
		})
		if err != nil {
			return err
		}
		src = cluster.FromSlices(ids, vecs)
		runtime.GC()
	}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
	}
	start, cpu0 := time.Now(), cpuSeconds()
	res, err := cluster.Fit(context.Background(), src, o)
	wall, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	centers := make([]float32, 0, res.K*m.D)
	for _, c := range res.Centers {
		centers = append(centers, c...)
	}
	if err := npz.WriteNpy(*out+"_labels.npy", res.Labels, len(res.Labels)); err != nil {
		return err
	}
	if err := npz.WriteNpy(*out+"_centers.npy", centers, res.K, m.D); err != nil {
		return err
	}
	rep := report{Name: *name, Mode: mode, WallSeconds: wall, CPUSeconds: cpu, Inertia: res.Inertia, Swaps: res.Swaps, Iterations: res.Iterations,
		RefinePasses: res.RefinePasses, Converged: res.Converged, Reseeded: res.Reseeded,
		GOMAXPROCS: runtime.GOMAXPROCS(0), Options: res.Options}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out+".json", js, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s (%s): %.3f s wall, %.3f s CPU, inertia %.6g, %d swaps, %d mini-batch steps, %d refine passes, converged %v\n",
		*name, mode, wall, cpu, res.Inertia, res.Swaps, res.Iterations, res.RefinePasses, res.Converged)
	return nil
}

// cpuSeconds is the user plus system CPU time of this process so far, all
// threads together.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
