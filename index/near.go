package index

import (
	"fmt"
	"slices"
)

// Near returns the stored vectors whose exact cosine distance to the stored
// vector id is at most within, nearest first (ties by id), at most k of
// them, leaving id itself out. It is the range query behind duplicate
// finding, built to read as few vectors as possible:
//
//   - the candidates are the ef codes nearest to id's own code (a graph
//     walk, or a scan of every code while the index holds fewer than
//     Config.ExactBelow vectors), so no vector is read to start;
//   - every code carries two norms, saved with it: what the projection
//     dropped and what quantisation changed. From them nearBound gives a
//     bound on how far a code distance can be from the exact one, and a
//     candidate whose code distance minus that bound is above within cannot
//     qualify: it is dropped unread;
//   - only the remaining candidates (on image sets, usually none) and id
//     itself are read from the fetcher and measured exactly.
//
// Without a fetcher the candidates whose code distance is ≤ within are
// returned with those estimates. ef ≤ 0 means max(64, 2k): on the
// calibration set of bench/dups (2,286 photos and their re-encoded, resized,
// cropped copies) 32 lost 44 of 22,101 pairs and 64 found all that a k-NN
// query with the default breadth and re-ranking finds. ef below k+1 is
// raised to it. It fails with ErrNotFound if id is not in the index.
func (x *Index) Near(id string, within float32, k, ef int) ([]Result, error) {
	if k <= 0 {
		return nil, fmt.Errorf("near %q: %w: k = %d", id, ErrInvalidK, k)
	}
	if !(within >= 0 && within <= 2) {
		return nil, fmt.Errorf("near %q: %w: distance %v is not in [0, 2]", id, ErrConfig, within)
	}
	if ef <= 0 {
		ef = max(64, 2*k)
	}
	ef = max(ef, k+1)
	c := x.getCtx()
	defer x.putCtx(c)
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.lookup(id)
	if !ok {
		return nil, fmt.Errorf("near %q: %w", id, ErrNotFound)
	}
	x.nodeQuery(&c.q, s)
	if x.live < x.cfg.ExactBelow {
		x.scanCodes(c, ef)
	} else {
		c.w = append(c.w[:0], x.descend(&c.q, 0))
		x.searchLayer(c, &c.q, c.w, ef, 0)
		c.w = c.res.drainSorted(c.w[:0])
	}
	qn := x.cb.codeNorm(x.code(s))
	keep := c.w[:0]
	for _, e := range c.w {
		if e.s == s || len(x.idBytes(e.s)) == 0 {
			continue
		}
		if x.fetch == nil {
			if e.d <= within {
				keep = append(keep, e)
			}
			continue
		}
		if e.d-x.nearBound(s, qn, e.s) <= within {
			keep = append(keep, e)
		}
	}
	c.w = keep
	if x.fetch == nil {
		out := make([]Result, 0, len(keep))
		for _, e := range keep {
			out = append(out, Result{x.idOf(e.s), max(0, e.d)})
		}
		sortResults(out)
		return out[:min(k, len(out))], nil
	}
	if len(keep) == 0 {
		return []Result{}, nil
	}
	c.ids = append(c.ids[:0], id)
	for _, e := range keep {
		c.ids = append(c.ids, x.idOf(e.s))
	}
	for len(c.vecs) < len(c.ids) {
		c.vecs = append(c.vecs, nil)
	}
	c.vecs = c.vecs[:len(c.ids)]
	if err := x.fetch.Vectors(c.ids, c.vecs); err != nil {
		return nil, fmt.Errorf("near %q: reading vectors: %w", id, err)
	}
	q := c.vecs[0]
	if len(q) != x.dim {
		return nil, fmt.Errorf("near %q: %w (its vector is gone from the source)", id, ErrNotFound)
	}
	c.unit = grow(c.unit, x.dim)
	if err := normalise(c.unit, q, x.dim); err != nil {
		return nil, fmt.Errorf("near %q: %w", id, err)
	}
	out := make([]Result, 0, len(keep))
	for i, v := range c.vecs[1:] {
		if len(v) != x.dim {
			continue
		}
		inv, ok := invNorm(v)
		if !ok {
			continue
		}
		if d := cosDist(dot(c.unit, v) * inv); d <= within {
			out = append(out, Result{c.ids[1+i], d})
		}
	}
	sortResults(out)
	return slices.Clip(out[:min(k, len(out))]), nil
}

// nearBound bounds |exact − code distance| between the stored vectors q
// (whose code reconstruction has norm qn) and s. With y = x − μ split as
// y = Pᵀz + r (r ⟂ the projection) and z = ẑ + δ (ẑ the code's
// reconstruction), the exact dot product differs from the symmetric code
// estimate μ² + b + b' + ẑ·ẑ' by
//
//	ẑ·δ' + δ·ẑ' + δ·δ' + r·r'
//
// whose size is at most |ẑ||δ'| + |δ||ẑ'| + |δ||δ'| + |r||r'| by
// Cauchy–Schwarz. The small constant covers the float32 rounding of the
// estimate itself.
func (x *Index) nearBound(q uint32, qn float32, s uint32) float32 {
	rq, eq := x.errs[2*q], x.errs[2*q+1]
	rs, es := x.errs[2*s], x.errs[2*s+1]
	sn := x.cb.codeNorm(x.code(s))
	return qn*es + eq*sn + eq*es + rq*rs + 1e-5
}
