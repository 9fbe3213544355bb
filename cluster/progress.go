package cluster

import (
	"time"

	"github.com/vecimg/vecimg/internal/progress"
)

// The stages Fit and Sweep report to Options.Progress (a progress.Func),
// in the order Fit runs them, with their units. Each stage begins with
// done = 0 and, unless Fit fails or the stage ends early (see the stages),
// ends with done = total. A stage can begin again: every Lloyd pass is a new
// "refine" stage, and the mini-batch steps resume ("mini-batch" with done >
// 0) after a "sample" scan redraws their buffer. Calls come from the
// goroutine that called Fit, at most about ten times a second per stage
// apart from its first and last call, so the function may print or redraw.
const (
	// StageLoad: reading every vector into memory (vectors of N); only
	// when the data fits in Options.MemoryLimit.
	StageLoad = "load"
	// StageSample: a streaming pass over all N vectors that copies a random
	// sample (vectors read of N): the seeding sample, each mini-batch
	// buffer, and the vectors that re-seed empty clusters.
	StageSample = "sample"
	// StageSeeding: the NInit initialisations on the seeding sample
	// (initialisations of NInit).
	StageSeeding = "seeding"
	// StageRepair: swap-repair tries on the seeding sample (tries of at
	// most 2·K); it usually stops early, then its last done is below total.
	StageRepair = "repair"
	// StageMiniBatch: mini-batch steps (steps of MaxIter); it stops early
	// once the centres settle (Options.Tol).
	StageMiniBatch = "mini-batch"
	// StageRefine: one Lloyd pass over all vectors (vectors of N), begun
	// again for every pass; the last pass yields the labels.
	StageRefine = "refine"
	// StageAssign: the single assigning pass (vectors of N) run instead of
	// refinement when Options.Refine is negative.
	StageAssign = "assign"
)

// progressEvery is the least time between two calls within a stage (apart
// from its first and last).
const progressEvery = 100 * time.Millisecond

// reporter throttles calls to a progress.Func; a nil reporter or one with a
// nil function does nothing.
type reporter struct {
	fn    progress.Func
	stage string
	total int64
	last  time.Time
}

func newReporter(fn progress.Func) *reporter {
	if fn == nil {
		return nil
	}
	return &reporter{fn: fn}
}

// start begins a stage of total units, done of them already done.
func (r *reporter) start(stage string, done, total int64) {
	if r == nil {
		return
	}
	r.stage, r.total, r.last = stage, total, time.Now()
	r.fn(stage, done, total)
}

// update reports done units of the current stage, unless the last call was
// less than progressEvery ago and the stage is not complete.
func (r *reporter) update(done int64) {
	if r == nil {
		return
	}
	now := time.Now()
	if done < r.total && now.Sub(r.last) < progressEvery {
		return
	}
	r.last = now
	r.fn(r.stage, done, r.total)
}

// finish reports done units as the last call of the current stage, however
// soon after the previous one.
func (r *reporter) finish(done int64) {
	if r == nil {
		return
	}
	r.last = time.Now()
	r.fn(r.stage, done, r.total)
}
