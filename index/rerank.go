package index

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Bounded re-ranking. A code distance d̂ (query in float32, stored vector
// as its code) differs from the exact cosine distance d by at most
//
//	e = |z_q|·|δ_s| + |r_q|·|r_s| + ε
//
// where z_q and r_q are the query's projection and what the projection
// drops (computed with the query), |δ_s| and |r_s| the stored vector's
// quantisation error and residual norms (saved with its code, see
// codeErrors), and ε covers float32 rounding (floatSlack). With y = x − μ
// split as y = Pᵀz + r (r ⟂ the projection) and z_s = ẑ_s + δ_s,
//
//	exact − estimate = z_q·δ_s + r_q·r_s,
//
// which Cauchy–Schwarz bounds by the sum above. So lb = d̂ − e is a lower
// bound of the exact distance, and a candidate whose lb is above the k-th
// exact distance found so far cannot enter the top k: it is not read.

// bcand is a candidate with the lower bound of its exact distance.
type bcand struct {
	lb float32
	s  uint32
}

func cmpBcand(a, b bcand) int {
	if c := cmp.Compare(a.lb, b.lb); c != 0 {
		return c
	}
	return cmp.Compare(a.s, b.s)
}

// Fine codes. Each slot also keeps a fine code: its quantisation error
// z_s − ẑ_s quantised again, with steps of step/fineDiv, and the norm of
// what that leaves, |δ'_s| (see refine). Adding the fine code's term to a
// code distance d̂ gives an estimate whose error is bounded by
//
//	e' = |z_q|·|δ'_s| + |r_q|·|r_s| + ε',
//
// by the same argument with δ'_s for δ_s; ε' counts the fine dot
// product's cdim more terms. |δ'_s| is about |δ_s|/fineDiv, so e' is
// little more than the residual term: on the 1M fitted set about 0.004
// against 0.0075 for e, and a re-rank reads far fewer vectors. The walk
// uses the coarse codes alone; the fine ones are read only for a search's
// candidates.

// fineLB returns the lower bound of the exact distance from q (prepared
// from an exact vector) to slot s, whose code distance is d, that the
// fine code of s gives.
func (x *Index) fineLB(q *query, s uint32, d float32) float32 {
	d -= dotCode(q.v, x.kfine(s)) * (1.0 / fineDiv)
	return d - (q.zn*x.fineErr(s) + q.rn*x.errs[2*s] + q.fslack)
}

// fineAhead is how many candidates ahead refineAll requests fine rows.
const fineAhead = 16

// refineAll sets the lower bound of each candidate in b to the one its
// fine code gives (fineLB), d(i) being b[i]'s code distance. The fine rows
// are requested fineAhead candidates ahead, so that their misses overlap.
func (x *Index) refineAll(q *query, b []bcand, d func(i int) float32) {
	r := rowLen(x.cb.cdim)
	ahead := func(s uint32) { prefetchLines(unsafe.Pointer(&x.fine[int(s)*r]), (r+63)/64) }
	for i := range min(fineAhead, len(b)) {
		ahead(b[i].s)
	}
	for i := range b {
		if j := i + fineAhead; j < len(b) {
			ahead(b[j].s)
		}
		b[i].lb = x.fineLB(q, b[i].s, d(i))
	}
}

// rerankBatch is the number of vectors fetched at once after the first k:
// small, so that few vectors are read past the point where the bound stops
// the search.
const rerankBatch = 8

// floatSlack bounds the float32 rounding of an exact distance and of a code
// distance for vectors of dimension dim with codes of cdim components:
// dot products of unit-norm terms accumulated over n terms in float32 err by
// at most n·2⁻²⁴ (recursive summation; the AVX2 kernels, with 8 lanes, err
// less). 1e-5 covers the scalar terms (bias, |μ|², the norms).
func floatSlack(dim, cdim int) float32 {
	return float32(1e-5 + float64(dim+cdim)*math.Ldexp(1, -24))
}

// queryNorms sets the error terms of a query prepared from its unit vector
// (y its centred vector, z its projection): |z|, the norm of what the
// projection drops, and the rounding slack. They are rounded up.
func (cb *codebook) queryNorms(q *query, y, z []float32) {
	var yy, zz float64
	for _, v := range y {
		yy += float64(v) * float64(v)
	}
	for _, v := range z {
		zz += float64(v) * float64(v)
	}
	up := func(v float64) float32 { return float32(v*(1+1e-5) + 1e-7) }
	q.zn = up(math.Sqrt(zz))
	q.rn = 0
	if !cb.identity() {
		q.rn = up(math.Sqrt(max(0, yy-zz)))
	}
	q.slack = floatSlack(cb.dim, cb.cdim)
	q.fslack = floatSlack(cb.dim, 2*cb.cdim)
}

// bound is the most by which the code distance from the prepared query q
// (prepared from an exact vector, see queryNorms) to slot s can differ from
// the exact distance.
func (x *Index) bound(q *query, s uint32) float32 {
	return q.zn*x.errs[2*s+1] + q.rn*x.errs[2*s] + q.slack
}

// rerankBounded reads the exact vectors of the candidates b (sorted by lower
// bound) in that order, a few at a time, until the next candidate's lower
// bound is above the k-th exact distance found, or limit vectors were read.
// It returns the k nearest read, by exact distance (ties by id): exactly the
// top k of the candidates unless the limit stopped it (st.Capped). The
// caller holds the read lock; c.unit is the unit query.
func (x *Index) rerankBounded(c *searchCtx, b []bcand, k, limit int, st *SearchStats) ([]Result, error) {
	top := exactTop{k: k}
	read, capped := 0, false
	kth := func() float32 {
		if len(top.a) < k {
			return float32(math.Inf(1))
		}
		return top.a[0].Distance
	}
	for i := 0; i < len(b); {
		if b[i].lb > kth() {
			break
		}
		if read >= limit {
			capped = true
			break
		}
		n := rerankBatch
		if len(top.a) < k {
			n = max(n, k-len(top.a))
		}
		n = min(n, len(b)-i, limit-read)
		c.ids = c.ids[:0]
		d := kth()
		j := i
		for ; j < i+n && b[j].lb <= d; j++ {
			c.ids = append(c.ids, x.idOf(b[j].s))
		}
		i = j
		for len(c.vecs) < len(c.ids) {
			c.vecs = append(c.vecs, nil)
		}
		c.vecs = c.vecs[:len(c.ids)]
		if err := x.fetch.Vectors(c.ids, c.vecs); err != nil {
			return nil, fmt.Errorf("search: re-ranking: reading vectors: %w", err)
		}
		read += len(c.ids)
		for m, v := range c.vecs {
			if len(v) != len(c.unit) {
				continue // gone from the source
			}
			inv, ok := invNorm(v)
			if !ok {
				continue
			}
			r := Result{c.ids[m], cosDist(dot(c.unit, v) * inv)}
			if len(top.a) < k || top.better(r.Distance, r.ID) {
				top.offer(r)
			}
		}
	}
	if st != nil {
		*st = SearchStats{Candidates: len(b), Read: read, Capped: capped}
	}
	out := top.a
	sortResults(out)
	return out, nil
}

// exactBlockSlots is the number of slots a worker of exactFromCodes takes
// at once.
const exactBlockSlots = 4096

// exactFromCodes returns the k nearest stored vectors to the unit query
// c.unit (c.q prepared from it), leaving out the slots in excl, exactly as
// a float32 scan of every vector would (ties by id). Every code is compared
// with the query on all cores, giving for each vector a lower and an upper
// bound of its exact distance; U, the k-th smallest upper bound, is at
// least the k-th exact distance, so only vectors whose lower bound is at
// most U are candidates, and of those rerankBounded reads only the ones
// that can still enter the top k. The caller holds the read lock and a
// fetcher is set.
func (x *Index) exactFromCodes(c *searchCtx, excl []uint32, k int, st *SearchStats) ([]Result, error) {
	n := x.slots()
	workers := max(1, min(runtime.GOMAXPROCS(0), (n+exactBlockSlots-1)/exactBlockSlots))
	type part struct {
		ub    maxHeap // the k smallest upper bounds seen
		cands []bcand
	}
	parts := make([]part, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	q := &c.q
	for w := range workers {
		p := &parts[w]
		wg.Go(func() {
			for {
				lo := int(next.Add(exactBlockSlots)) - exactBlockSlots
				if lo >= n {
					return
				}
				for s := uint32(lo); s < uint32(min(n, lo+exactBlockSlots)); s++ {
					if len(x.idBytes(s)) == 0 || slices.Contains(excl, s) {
						continue
					}
					d := x.dist(q, s)
					e := x.bound(q, s)
					lb, ub := d-e, d+e
					if p.ub.len() < k {
						p.ub.push(cand{ub, s})
					} else if ub < p.ub.top().d {
						p.ub.pop()
						p.ub.push(cand{ub, s})
					}
					if p.ub.len() < k || lb <= p.ub.top().d {
						p.cands = append(p.cands, bcand{lb, s})
					}
				}
			}
		})
	}
	wg.Wait()
	var ubs []float32
	for _, p := range parts {
		for _, e := range p.ub.a {
			ubs = append(ubs, e.d)
		}
	}
	u := float32(math.Inf(1))
	if len(ubs) >= k {
		slices.Sort(ubs)
		u = ubs[k-1]
	}
	b := c.b[:0]
	for _, p := range parts {
		for _, e := range p.cands {
			if e.lb <= u {
				b = append(b, e)
			}
		}
	}
	// The fine codes tighten the bounds of what is left (the code
	// distance is computed again: adding the bound back to lb could round).
	x.refineAll(q, b, func(i int) float32 { return x.dist(q, b[i].s) })
	slices.SortFunc(b, cmpBcand)
	c.b = b
	return x.rerankBounded(c, b, k, len(b), st)
}
