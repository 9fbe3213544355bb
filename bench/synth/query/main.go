// Command query measures warm query latency and recall@k of a vecimg store's
// index in-process, for bench/scale.sh: it opens the store read-only through
// internal/app (as the CLI does), answers held-out query vectors (not in the
// store) with app.Similar, and compares the ids with exact float32 cosine
// ground truth computed by bench/scale_truth.py.
//
//	go run ./bench/synth/query -db STORE -queries Q.f32 -truth TRUTH.json [-efs 0,32,64] [-rounds 3] [-exact 5]
//
// Output: JSON lines. The first query (which opens or updates the index) is
// reported apart; then one untimed pass over all queries at the default
// ef maps the index pages and store positions they touch (a fresh process
// otherwise pays those faults in the first timed rounds; -warmup=false
// leaves it out). Latency is the median over rounds of the mean ms/query,
// one query at a time (GOMAXPROCS -threads, default 1), with the process's
// CPU time per query beside it. ef 0 is the index's default setting.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vecimg/vecimg/internal/app"
)

type truthFile struct {
	N       int        `json:"n"`
	K       int        `json:"k"`
	Queries []string   `json:"queries"`
	IDs     [][]string `json:"ids"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "query:", err)
		os.Exit(1)
	}
}

func run() error {
	db := flag.String("db", "", "store path")
	qpath := flag.String("queries", "", "query vectors, raw little-endian float32, rows in the truth file's order")
	tpath := flag.String("truth", "", "ground truth JSON from bench/scale_truth.py")
	efs := flag.String("efs", "0,16,32,64,128", "search breadths to measure (0 = the index default)")
	rounds := flag.Int("rounds", 3, "timed passes over the queries per ef")
	threads := flag.Int("threads", 1, "GOMAXPROCS while timing")
	exactN := flag.Int("exact", 0, "also time exact search (SimilarOptions.Exact, all cores) on the first N queries")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed passes to this file")
	warmup := flag.Bool("warmup", true, "one untimed pass over the queries at the default ef before timing")
	flag.Parse()
	if *db == "" || *qpath == "" || *tpath == "" {
		return fmt.Errorf("-db, -queries and -truth are required")
	}
	var truth truthFile
	tb, err := os.ReadFile(*tpath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(tb, &truth); err != nil {
		return fmt.Errorf("%s: %w", *tpath, err)
	}
	raw, err := os.ReadFile(*qpath)
	if err != nil {
		return err
	}
	nq := len(truth.Queries)
	if nq == 0 || len(raw)%(4*nq) != 0 {
		return fmt.Errorf("%s: %d bytes is not %d float32 rows", *qpath, len(raw), nq)
	}
	dim := len(raw) / 4 / nq
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = make([]float32, dim)
		for j := range qs[i] {
			qs[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*dim+j):]))
		}
	}
	ctx := context.Background()
	runtime.GOMAXPROCS(*threads)
	t0 := time.Now()
	a, err := app.Open(ctx, app.Config{DB: *db, ReadOnly: true})
	if err != nil {
		return err
	}
	defer a.Close()
	open := time.Since(t0)
	search := func(q []float32, ef int, ex bool) ([]string, error) {
		res, err := a.Similar(ctx, app.SimilarOptions{Vector: q, K: truth.K, Ef: ef, Exact: ex})
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(res.Results))
		for i, r := range res.Results {
			ids[i] = r.ID
		}
		return ids, nil
	}
	t1 := time.Now()
	if _, err := search(qs[0], 0, false); err != nil {
		return err
	}
	emit(map[string]any{"open_ms": ms(open), "first_query_ms": ms(time.Since(t1)), "queries": nq, "n": truth.N, "threads": *threads})
	if *warmup {
		t := time.Now()
		for _, q := range qs {
			if _, err := search(q, 0, false); err != nil {
				return err
			}
		}
		emit(map[string]any{"warmup_ms_per_query": round3(ms(time.Since(t)) / float64(nq))})
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, f := range strings.Split(*efs, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-efs: %w", err)
		}
		var times, cpus []float64
		var found [][]string
		for r := 0; r < *rounds; r++ {
			found = found[:0]
			c0 := cpuTime()
			t := time.Now()
			for _, q := range qs {
				ids, err := search(q, ef, false)
				if err != nil {
					return err
				}
				found = append(found, ids)
			}
			times = append(times, ms(time.Since(t))/float64(nq))
			cpus = append(cpus, ms(cpuTime()-c0)/float64(nq))
		}
		slices.Sort(times)
		slices.Sort(cpus)
		emit(map[string]any{"ef": ef, "ms_per_query": round3(times[len(times)/2]), "cpu_ms_per_query": round3(cpus[len(cpus)/2]),
			"recall_at_10": round4(recall(truth.IDs, found))})
	}
	if *exactN > 0 {
		runtime.GOMAXPROCS(runtime.NumCPU())
		m := min(*exactN, nq)
		var found [][]string
		t := time.Now()
		for _, q := range qs[:m] {
			ids, err := search(q, 0, true)
			if err != nil {
				return err
			}
			found = append(found, ids)
		}
		emit(map[string]any{"exact_ms_per_query": round3(ms(time.Since(t)) / float64(m)), "exact_recall_at_10": round4(recall(truth.IDs[:m], found)), "exact_queries": m, "threads": runtime.NumCPU()})
	}
	return nil
}

// cpuTime is the process's user+system CPU time: with GOMAXPROCS 1 the
// queries' own cost, less sensitive than wall time to other load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func recall(want, got [][]string) float64 {
	hit, all := 0, 0
	for i, w := range want {
		for _, id := range w {
			if slices.Contains(got[i], id) {
				hit++
			}
		}
		all += len(w)
	}
	return float64(hit) / float64(all)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func round3(x float64) float64   { return math.Round(x*1000) / 1000 }
func round4(x float64) float64   { return math.Round(x*10000) / 10000 }

func emit(m map[string]any) {
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
}
