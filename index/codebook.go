package index

import (
	"math"
	"sort"
)

// codebook turns unit vectors into compact codes and back into the terms of
// an approximate dot product.
//
// A unit vector x is split as x = μ + y, where μ is the mean of the training
// sample. Then, for two unit vectors,
//
//	x·x' = |μ|² + μ·y + μ·y' + y·y'
//
// The scalar b = μ·y is kept exactly per vector (bias, float32). y is
// projected on the cdim leading principal directions of the sample, z = P·y,
// and z is stored as int8 with one quantisation step per component:
// y·y' ≈ Σ_k step_k² c_k c'_k. A query keeps its projection in float32
// (asymmetric distance), so only the stored side is quantised. What the
// projection drops (the residual y − Pᵀz) is ignored by the walk and
// restored by the re-rank with exact vectors.
//
// When cdim equals dim the projection is the identity (scalar quantisation
// of the centred vector, "SQ8").
type codebook struct {
	dim, cdim int
	mean      []float32 // dim
	mu2       float32   // |μ|²
	basis     []float32 // cdim rows of dim, orthonormal; nil for the identity
	step      []float32 // cdim quantisation steps
	step2     []float32 // cdim squared steps (derived, not saved)
	// linkW[k] = step2[k]/linkS: a node's code times linkW, rounded, is its
	// int16 query while building (linkQuery); derived, not saved.
	linkW    []float32
	linkS    float32
	klen     int       // kernLen(cdim): the length of a query's v and iv (derived)
	variance []float32 // cdim: variance of each component on the sample
	// Training statistics.
	trainN   int     // vectors in the sample
	trainVar float64 // mean |y|² on the sample
	trainRes float64 // share of |y|² the projection dropped on the sample
}

// identity reports whether the projection is the identity.
func (cb *codebook) identity() bool { return cb.basis == nil }

// row returns basis row k.
func (cb *codebook) row(k int) []float32 { return cb.basis[k*cb.dim : (k+1)*cb.dim : (k+1)*cb.dim] }

// project writes z = P·(x − μ) into z (cdim) and returns b = μ·(x − μ),
// |y|² and |z|². y is scratch of length dim.
func (cb *codebook) project(x, y, z []float32) (b float32, yy, zz float64) {
	for i, m := range cb.mean {
		y[i] = x[i] - m
	}
	b = dot(cb.mean, y)
	yy = float64(dot(y, y))
	if cb.identity() {
		copy(z, y)
		zz = yy
		return
	}
	ys, zs := [1][]float32{y}, [1][]float32{z}
	projectRows(cb.basis, cb.dim, cb.cdim, ys[:], zs[:])
	zz = float64(dot(z, z))
	return
}

// projectBlock is project for up to projBlock unit vectors xs at once, with
// scratch ys (len(xs) × dim) and results zs (len(xs) × cdim): each basis row
// is read once per block instead of once per vector, which keeps the 4 MB
// basis from being streamed from memory for every vector.
func (cb *codebook) projectBlock(xs, ys, zs [][]float32, bias []float32, yy, zz []float64) {
	for j, x := range xs {
		y := ys[j]
		for i, m := range cb.mean {
			y[i] = x[i] - m
		}
		bias[j] = dot(cb.mean, y)
		yy[j] = float64(dot(y, y))
		if cb.identity() {
			copy(zs[j], y)
		}
	}
	if !cb.identity() {
		projectRows(cb.basis, cb.dim, cb.cdim, ys[:len(xs)], zs[:len(xs)])
	}
	for j := range xs {
		zz[j] = float64(dot(zs[j], zs[j]))
	}
}

// projBlock is the block size of projectBlock: 16 vectors of 4096 floats
// (256 KB) stay in a core's L2 cache while the basis streams past.
const projBlock = 16

// quantise writes the int8 code of z.
func (cb *codebook) quantise(z []float32, code []int8) {
	code = code[:len(z)]
	for k, v := range z {
		q := math.Round(float64(v / cb.step[k]))
		code[k] = int8(max(-127, min(127, q)))
	}
}

// query is the prepared form of a query for approximate distances:
// approxDot(s) = c0 + bias[s] + Σ v_k code_s[k].
type query struct {
	v  []float32 // klen: cdim components, then zeros (see kernLen)
	c0 float32
	// Error terms of a query prepared from an exact vector (queryNorms):
	// |z|, the norm of what the projection drops, the rounding slack
	// (fslack: the same with a fine code's terms, see fineLB).
	zn, rn, slack, fslack float32
	// hide is slot+1 of a node the walk must not visit (0: none): a
	// stored vector searched as if it were not in the graph (tuning).
	hide uint32
	// iv, when not empty, is the integer form of a node's query
	// (prepareLink): the approximate dot product is c0 + bias + is·Σ iv·c.
	iv []int16 // klen, zeros beyond cdim
	is float32
}

// prepare fills q from the unit vector x; y and z are scratch (dim, cdim).
func (cb *codebook) prepare(q *query, x, y, z []float32) {
	b, _, _ := cb.project(x, y, z)
	q.v = grow(q.v, cb.klen)
	for k := range cb.cdim {
		q.v[k] = z[k] * cb.step[k]
	}
	clear(q.v[cb.cdim:])
	q.c0 = cb.mu2 + b
	q.iv = q.iv[:0]
}

// prepareCode fills q for the stored node with code c and bias b (the
// symmetric form used while building: both sides quantised).
func (cb *codebook) prepareCode(q *query, c []int8, b float32) {
	q.v = grow(q.v, cb.klen)
	scaleCode(q.v[:cb.cdim], cb.step2, c)
	clear(q.v[cb.cdim:])
	q.c0 = cb.mu2 + b
	q.zn, q.rn, q.slack, q.fslack = 0, 0, 0, 0
	q.iv = q.iv[:0]
}

// prepareLink fills q for the stored node with code c and bias b in the
// integer form used to link the graph: iv[k] = round(step²ₖ·cₖ / linkS),
// so that Σ iv·c' is exact in int32 and the approximate dot product is
// c0 + b' + linkS·Σ iv·c'. The rounding changes a distance by at most
// linkS/2·Σ|c'ₖ| (about 2⁻¹⁶ of the largest term per component), far
// below the codes' own quantisation error. Searches that bound their
// error (queries, Near) keep the float32 form.
func (cb *codebook) prepareLink(q *query, c []int8, b float32) {
	if cap(q.iv) < cb.klen {
		q.iv = make([]int16, cb.klen)
	}
	q.iv = q.iv[:cb.klen]
	quantQuery(q.iv[:cb.cdim], cb.linkW, c)
	clear(q.iv[cb.cdim:])
	q.is = cb.linkS
	q.c0 = cb.mu2 + b
	q.zn, q.rn, q.slack, q.fslack = 0, 0, 0, 0
}

// linkQMax is the largest |iv[k]| a link query may hold for codes of
// dimension cdim: below the int16 range, and small enough that
// cdim·127·linkQMax cannot overflow an int32 sum.
func linkQMax(cdim int) int {
	return min(32000, math.MaxInt32/(127*max(cdim, 1))-1)
}

// derive fills the fields computed from the saved ones.
func (cb *codebook) derive() {
	cb.klen = kernLen(cb.cdim)
	cb.step2 = make([]float32, len(cb.step))
	var w2 float32
	for k, s := range cb.step {
		cb.step2[k] = s * s
		w2 = max(w2, cb.step2[k])
	}
	cb.linkS = w2 * 127 / float32(linkQMax(len(cb.step)))
	if !(cb.linkS > 0) {
		cb.linkS = 1
	}
	cb.linkW = make([]float32, len(cb.step))
	for k, s2 := range cb.step2 {
		cb.linkW[k] = s2 / cb.linkS
	}
}

func grow(v []float32, n int) []float32 {
	if cap(v) < n {
		return make([]float32, n)
	}
	return v[:n]
}

// autoKeep is the share of the centred variance that the leading cdim
// principal directions must carry for an automatic code dimension (Config
// CodeDim 0) to use them; otherwise codes are the whole centred vector. On
// vectors fitted to real fc6 features (bench/synth, 20,000) the top 256
// carried 96.8% and gave recall@10 0.9925 after re-ranking, against 0.9935
// for int8 codes of the whole vector; on the near-isotropic benchmark
// mixture they carry far less and lose the neighbours.
const autoKeep = 0.90

// trainCodebook fits a codebook to sample, unit vectors of dimension dim:
// the mean, the cdim leading principal directions of the centred sample
// (when cdim < dim) and per-component quantisation steps. With auto set,
// the projection is kept only if it carries autoKeep of the variance;
// otherwise cdim becomes dim (no projection).
func trainCodebook(sample [][]float32, dim, cdim int, auto bool, seed uint64) *codebook {
	n := len(sample)
	cb := &codebook{dim: dim, cdim: cdim, trainN: n}
	mean := make([]float64, dim)
	for _, v := range sample {
		for i, f := range v {
			mean[i] += float64(f)
		}
	}
	cb.mean = make([]float32, dim)
	for i := range mean {
		if n > 0 {
			cb.mean[i] = float32(mean[i] / float64(n))
		}
	}
	cb.mu2 = dot(cb.mean, cb.mean)
	centred := make([][]float32, n)
	var total float64
	for j, v := range sample {
		c := make([]float32, dim)
		for i, f := range v {
			c[i] = f - cb.mean[i]
		}
		total += float64(dot(c, c))
		centred[j] = c
	}
	if n > 0 {
		cb.trainVar = total / float64(n)
	}
	if cdim < dim {
		rows, vars := topComponents(centred, dim, cdim, seed)
		var kept float64
		for _, v := range vars {
			kept += v
		}
		if auto && !(kept >= autoKeep*cb.trainVar) {
			cdim = dim
			cb.cdim = dim
		} else {
			cb.basis = make([]float32, cdim*dim)
			for k, r := range rows {
				copy(cb.basis[k*dim:], r)
			}
		}
	}
	// Project the sample to size the steps and measure what is dropped.
	zs := make([][]float32, n)
	for j := range zs {
		zs[j] = make([]float32, cdim)
	}
	var kept float64
	nb := (n + projBlock - 1) / projBlock
	parallelChunks(nb, func(lo, hi int) {
		ys := make([][]float32, projBlock)
		for j := range ys {
			ys[j] = make([]float32, dim)
		}
		bias := make([]float32, projBlock)
		yy := make([]float64, projBlock)
		zz := make([]float64, projBlock)
		for b := lo; b < hi; b++ {
			end := min(n, (b+1)*projBlock)
			cb.projectBlock(sample[b*projBlock:end], ys, zs[b*projBlock:end], bias, yy, zz)
		}
	})
	cb.variance = make([]float32, cdim)
	cb.step = make([]float32, cdim)
	col := make([]float64, n)
	for k := range cdim {
		var ss float64
		for j, z := range zs {
			col[j] = math.Abs(float64(z[k]))
			ss += float64(z[k]) * float64(z[k])
		}
		kept += ss
		sd := 0.0
		if n > 0 {
			sd = math.Sqrt(ss / float64(n))
			cb.variance[k] = float32(ss / float64(n))
		}
		// Clip at the 99.9th percentile of |z_k| but within [4σ, 8σ]:
		// outliers saturate instead of coarsening every other code.
		clip := 0.0
		if n > 0 {
			sort.Float64s(col)
			clip = col[min(n-1, int(0.999*float64(n)))]
		}
		clip = max(4*sd, min(8*sd, clip))
		if !(clip > 0) {
			clip = 1e-6
		}
		cb.step[k] = float32(clip / 127)
	}
	if total > 0 {
		cb.trainRes = max(0, 1-kept/total)
	}
	cb.derive()
	return cb
}

func trainCodebookCfg(sample [][]float32, dim int, cfg Config) *codebook {
	cdim, auto := cfg.codeDim(dim)
	return trainCodebook(sample, dim, cdim, auto, cfg.Seed)
}

// codeErrors returns, for a vector with projection z (and |y|² = yy,
// |z|² = zz) and its code, the two norms that bound how far an approximate
// dot product involving it can be from the exact one (see nearBound):
// the residual |y − Pᵀz| that the projection drops (0 for the identity) and
// the quantisation error |z − step∘code|. Both are rounded up slightly so
// that float32 storage never makes them smaller than they are.
func (cb *codebook) codeErrors(z []float32, code []int8, yy, zz float64) [2]float32 {
	var res float64
	if !cb.identity() {
		res = math.Sqrt(max(0, yy-zz))
	}
	var qe float64
	for k, v := range z {
		d := float64(v) - float64(cb.step[k])*float64(code[k])
		qe += d * d
	}
	up := func(v float64) float32 { return float32(v*(1+1e-5) + 1e-7) }
	return [2]float32{up(res), up(math.Sqrt(qe))}
}

// fineDiv divides a component's quantisation step into the step of its
// fine code: a coarse code's error in a component lies within ±step/2
// unless the component was clipped, so the fine code's int8 covers it.
const fineDiv = 254

// refine writes the fine code of z, whose coarse code is code: the
// quantisation error z − step∘code quantised again with steps of
// step/fineDiv. It returns the norm of what is left, |z − step∘(code +
// fine/fineDiv)|, rounded up like codeErrors's. A clipped component's
// error saturates the fine code and stays in that norm, so the bound that
// uses it holds either way.
func (cb *codebook) refine(z []float32, code, fine []int8) float32 {
	fine = fine[:len(z)]
	var qe float64
	for k, v := range z {
		st := float64(cb.step[k])
		d := float64(v) - st*float64(code[k])
		f := max(-127, min(127, math.Round(d/st*fineDiv)))
		fine[k] = int8(f)
		d -= st * f / fineDiv
		qe += d * d
	}
	return float32(math.Sqrt(qe)*(1+1e-5) + 1e-7)
}

// codeNorm returns |step∘code|, the norm of a code's reconstruction.
func (cb *codebook) codeNorm(code []int8) float32 {
	var s float64
	for k, c := range code {
		s += float64(cb.step2[k]) * float64(c) * float64(c)
	}
	return float32(math.Sqrt(s))
}
