package index

import (
	"runtime"
	"slices"
	"strings"
	"sync"
)

// parallelWork is the number of vector components (slots × dim) above which
// an exact scan is split over GOMAXPROCS goroutines; below it the start-up
// cost of the goroutines outweighs the gain (see BenchmarkExact).
const parallelWork = 1 << 18

// exact compares q with every live vector and returns the k nearest, ordered
// by (distance, id) — the same order as sorting all distances — leaving out
// the slots in excl. The caller holds the read lock.
func (x *Index) exact(q []float32, k int, excl []uint32) []Result {
	n := len(x.ids)
	workers := 1
	if n*x.dim >= parallelWork {
		workers = min(runtime.GOMAXPROCS(0), max(1, n/64))
	}
	parts := make([]topK, workers)
	scan := func(w int) {
		t := topK{k: k, ids: x.ids}
		lo, hi := n*w/workers, n*(w+1)/workers
		for s := lo; s < hi; s++ {
			if x.ids[s] == "" || slices.Contains(excl, uint32(s)) {
				continue
			}
			t.offer(cand{x.dist(q, uint32(s)), uint32(s)})
		}
		parts[w] = t
	}
	if workers == 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { scan(w) })
		}
		wg.Wait()
	}
	var all []cand
	for _, p := range parts {
		all = append(all, p.a...)
	}
	slices.SortFunc(all, func(a, b cand) int { return x.cmpExact(a, b) })
	all = all[:min(k, len(all))]
	out := make([]Result, len(all))
	for i, e := range all {
		out[i] = Result{x.ids[e.s], e.d}
	}
	return out
}

func (x *Index) cmpExact(a, b cand) int {
	switch {
	case a.d < b.d:
		return -1
	case a.d > b.d:
		return 1
	}
	return strings.Compare(x.ids[a.s], x.ids[b.s])
}

// topK keeps the k best candidates seen, ordered by (distance, id), in a
// max-heap whose root is the worst kept candidate.
type topK struct {
	a   []cand
	k   int
	ids []string
}

// worse reports whether a ranks after b.
func (t *topK) worse(a, b cand) bool {
	return a.d > b.d || (a.d == b.d && t.ids[a.s] > t.ids[b.s])
}

func (t *topK) offer(c cand) {
	if len(t.a) < t.k {
		t.a = append(t.a, c)
		for i := len(t.a) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.worse(t.a[i], t.a[p]) {
				break
			}
			t.a[i], t.a[p] = t.a[p], t.a[i]
			i = p
		}
		return
	}
	if !t.worse(t.a[0], c) {
		return
	}
	t.a[0] = c
	n := len(t.a)
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && t.worse(t.a[r], t.a[l]) {
			m = r
		}
		if !t.worse(t.a[m], t.a[i]) {
			break
		}
		t.a[i], t.a[m] = t.a[m], t.a[i]
		i = m
	}
}
