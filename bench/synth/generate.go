package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vecimg/vecimg/internal/npz"
)

// layout says which output each generated position goes to.
type layout struct {
	Base, Add, Queries int
	Chunk              int
	Seed               uint64
	queryAt            map[int]int // position → row of the queries output
}

// Which outputs a position feeds.
const (
	toBase = iota
	toAdd
	toQueries
)

func newLayout(base, add, queries, chunk int, seed uint64) (*layout, error) {
	if base < 1 || add < 0 || queries < 0 || chunk < 1 {
		return nil, fmt.Errorf("bad sizes: base %d, add %d, queries %d, chunk %d", base, add, queries, chunk)
	}
	l := &layout{Base: base, Add: add, Queries: queries, Chunk: chunk, Seed: seed, queryAt: map[int]int{}}
	// Queries are random positions of the first chunk, never among the add
	// positions (the last ones).
	first := min(chunk, l.total()-add)
	if queries > first {
		return nil, fmt.Errorf("%d queries do not fit in the first chunk (%d positions): raise -chunk or lower -queries", queries, first)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed_0000_0000_0003))
	perm := rng.Perm(first)
	for row, p := range perm[:queries] {
		l.queryAt[p] = row
	}
	return l, nil
}

func (l *layout) total() int { return l.Base + l.Add + l.Queries }

// route returns the output of position p.
func (l *layout) route(p int) int {
	if p >= l.total()-l.Add {
		return toAdd
	}
	if _, ok := l.queryAt[p]; ok {
		return toQueries
	}
	return toBase
}

// ids returns the ids of each output in row order: "v" + position.
func (l *layout) ids() (base, add, queries []string) {
	queries = make([]string, l.Queries)
	for p := 0; p < l.total(); p++ {
		id := fmt.Sprintf("v%08d", p)
		switch l.route(p) {
		case toBase:
			base = append(base, id)
		case toAdd:
			add = append(add, id)
		default:
			queries[l.queryAt[p]] = id
		}
	}
	return base, add, queries
}

func positionRNG(seed uint64, p int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(p)<<1))
}

func centreRNG(seed uint64, chunk, g int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, (uint64(chunk)<<32|uint64(g))<<1|1))
}

// generate computes every position in order and hands each vector to emit
// (in position order, from one goroutine). The slice is reused after emit
// returns.
func generate(m model, l *layout, workers int, progress io.Writer, emit func(p int, v []float32) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	dim, total := m.dim(), l.total()
	const batch = 256
	bufs := [2][][]float32{}
	for b := range bufs {
		bufs[b] = make([][]float32, batch)
		for i := range bufs[b] {
			bufs[b][i] = make([]float32, dim)
		}
	}
	var centres [][]float32
	var cum []float64 // weighted models: cumulative group weights
	wm, weighted := m.(weightedModel)
	centreLen := dim
	if weighted {
		centreLen = wm.centreLen()
	}
	centreChunk := -1
	loadCentres := func(chunk, n int) {
		g, shared := m.groups(n)
		key := chunk
		if shared {
			key = 0
			if centres != nil {
				return
			}
		}
		if len(centres) != g {
			centres = make([][]float32, g)
			for i := range centres {
				centres[i] = make([]float32, centreLen)
			}
		}
		parallel(workers, g, func(i int) { m.centre(centreRNG(l.Seed, key, i), centres[i]) })
		if weighted {
			cum = cum[:0]
			acc := 0.0
			for _, c := range centres {
				acc += wm.weight(c)
				cum = append(cum, acc)
			}
		}
		centreChunk = chunk
	}
	start, last := time.Now(), time.Now()
	type result struct {
		buf   [][]float32
		p0, n int
	}
	// Unbuffered: the send of batch k+1 completes only when the writer has
	// finished batch k, so refilling batch k's buffer (for k+2) is safe.
	results := make(chan result)
	errc := make(chan error, 1)
	var failed atomic.Bool
	go func() { // writer: emits one batch while the next one is computed
		var err error
		for r := range results {
			if err != nil {
				continue
			}
			for i := 0; i < r.n; i++ {
				if err = emit(r.p0+i, r.buf[i]); err != nil {
					failed.Store(true)
					break
				}
			}
		}
		errc <- err
	}()
	b := 0
	for p0 := 0; p0 < total; {
		chunk := p0 / l.Chunk
		chunkEnd := min(total, (chunk+1)*l.Chunk)
		if chunk != centreChunk {
			loadCentres(chunk, chunkEnd-chunk*l.Chunk)
		}
		n := min(batch, chunkEnd-p0)
		buf := bufs[b]
		parallel(workers, n, func(i int) {
			rng := positionRNG(l.Seed, p0+i)
			if weighted {
				g, _ := slices.BinarySearch(cum, rng.Float64()*cum[len(cum)-1])
				m.member(centres[min(g, len(centres)-1)], rng, buf[i])
				return
			}
			m.member(centres[rng.IntN(len(centres))], rng, buf[i])
		})
		results <- result{buf, p0, n}
		b ^= 1
		p0 += n
		if progress != nil && (time.Since(last) > 10*time.Second || p0 == total) {
			last = time.Now()
			el := time.Since(start)
			eta := time.Duration(float64(el) * float64(total-p0) / float64(p0))
			fmt.Fprintf(progress, "synth: %d/%d vectors (%.0f/s, ETA %s)\n", p0, total, float64(p0)/el.Seconds(), eta.Round(time.Second))
		}
		if failed.Load() {
			break
		}
	}
	close(results)
	return <-errc
}

// parallel runs f(0..n-1) on up to workers goroutines.
func parallel(workers, n int, f func(i int)) {
	if workers <= 1 || n < 2 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// writeNPZs generates the data set into three archives (add and queries may
// be nil when their count is 0).
func writeNPZs(m model, l *layout, workers int, progress io.Writer, base, add, queries io.Writer) error {
	baseIDs, addIDs, queryIDs := l.ids()
	type out struct {
		z  *npz.Writer
		mw *npz.MatrixWriter
	}
	open := func(w io.Writer, ids []string) (*out, error) {
		if w == nil {
			return nil, nil
		}
		z := npz.NewWriter(w)
		if err := z.Strings("ids", ids); err != nil {
			return nil, err
		}
		mw, err := z.Float32s("vectors", len(ids), m.dim())
		if err != nil {
			return nil, err
		}
		return &out{z, mw}, nil
	}
	outs := [3]*out{}
	var err error
	for i, a := range []struct {
		w   io.Writer
		ids []string
	}{{base, baseIDs}, {add, addIDs}, {queries, queryIDs}} {
		if a.w == nil && len(a.ids) > 0 {
			return fmt.Errorf("%d vectors for output %d but no file for it", len(a.ids), i)
		}
		if outs[i], err = open(a.w, a.ids); err != nil {
			return err
		}
	}
	// Queries arrive in position order but rows are in queryAt order: buffer
	// them (they are few).
	qrows := make([][]float32, l.Queries)
	err = generate(m, l, workers, progress, func(p int, v []float32) error {
		switch l.route(p) {
		case toBase:
			return outs[toBase].mw.WriteRow(v)
		case toAdd:
			return outs[toAdd].mw.WriteRow(v)
		default:
			qrows[l.queryAt[p]] = append([]float32(nil), v...)
			return nil
		}
	})
	if err != nil {
		return err
	}
	if o := outs[toQueries]; o != nil {
		for _, v := range qrows {
			if err := o.mw.WriteRow(v); err != nil {
				return err
			}
		}
	}
	for _, o := range outs {
		if o != nil {
			if err := o.z.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}
