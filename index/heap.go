package index

import "slices"

// cand is a graph node (slot) with its distance to the current query.
type cand struct {
	d float32
	s uint32
}

// before orders candidates by distance, then slot, so that every search is
// deterministic even when distances tie.
func (a cand) before(b cand) bool {
	return a.d < b.d || (a.d == b.d && a.s < b.s)
}

// minHeap pops the nearest candidate first (the search frontier).
type minHeap struct{ a []cand }

func (h *minHeap) reset()    { h.a = h.a[:0] }
func (h *minHeap) len() int  { return len(h.a) }
func (h *minHeap) top() cand { return h.a[0] }
func (h *minHeap) push(c cand) {
	h.a = append(h.a, c)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.a[i].before(h.a[p]) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}

func (h *minHeap) pop() cand {
	top := h.a[0]
	n := len(h.a) - 1
	h.a[0] = h.a[n]
	h.a = h.a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.a[r].before(h.a[l]) {
			m = r
		}
		if !h.a[m].before(h.a[i]) {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

// maxHeap pops the farthest candidate first (the bounded result set).
type maxHeap struct{ a []cand }

func (h *maxHeap) reset()    { h.a = h.a[:0] }
func (h *maxHeap) len() int  { return len(h.a) }
func (h *maxHeap) top() cand { return h.a[0] }
func (h *maxHeap) push(c cand) {
	h.a = append(h.a, c)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.a[p].before(h.a[i]) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}

func (h *maxHeap) pop() cand {
	top := h.a[0]
	n := len(h.a) - 1
	h.a[0] = h.a[n]
	h.a = h.a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.a[l].before(h.a[r]) {
			m = r
		}
		if !h.a[i].before(h.a[m]) {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

// drainSorted empties the heap into dst in ascending order (nearest first).
func (h *maxHeap) drainSorted(dst []cand) []cand {
	n := len(h.a)
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	for i := n - 1; i >= 0; i-- {
		dst[start+i] = h.pop()
	}
	return dst
}
