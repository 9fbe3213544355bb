package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/vecimg/vecimg/internal/progress"
)

// progressCall is one call of a progress.Func.
type progressCall struct {
	stage       string
	done, total int64
	at          time.Time
}

func recordProgress(calls *[]progressCall) progress.Func {
	return func(stage string, done, total int64) {
		*calls = append(*calls, progressCall{stage, done, total, time.Now()})
	}
}

// runs splits calls into stage runs: a new run begins when the stage
// changes or done goes back.
func runs(calls []progressCall) [][]progressCall {
	var out [][]progressCall
	for i, c := range calls {
		if i == 0 || c.stage != calls[i-1].stage || c.done < calls[i-1].done {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], c)
	}
	return out
}

func TestFitProgress(t *testing.T) {
	const n, d, k = 3000, 16, 6
	m := gaussianMixture(5, n, d, k, 2.0, 1.0)
	for _, tc := range []struct {
		name   string
		limit  int64
		refine int
	}{{"memory", 0, 0}, {"stream", streamLimit(n, d), 0}, {"stream-no-refine", streamLimit(n, d), -1}} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{K: k, MemoryLimit: tc.limit, BatchSize: 256, MaxIter: 40, Tol: -1, Refine: tc.refine}
			plain := fitOrFatal(t, FromSlices(m.ids, m.vecs), o)
			var calls []progressCall
			o.Progress = recordProgress(&calls)
			res := fitOrFatal(t, FromSlices(m.ids, m.vecs), o)
			if res.Options.Progress != nil {
				t.Error("Result.Options.Progress is set; want nil")
			}
			if !slices.Equal(res.Labels, plain.Labels) || res.Inertia != plain.Inertia {
				t.Fatalf("Progress changed the result: inertia %v vs %v", res.Inertia, plain.Inertia)
			}

			count := map[string]int{}
			var order []string
			rs := runs(calls)
			for ri, r := range rs {
				first, last := r[0], r[len(r)-1]
				count[first.stage]++
				if len(order) == 0 || order[len(order)-1] != first.stage {
					order = append(order, first.stage)
				}
				resumed := first.stage == StageMiniBatch && ri > 0 && rs[ri-1][0].stage == StageSample && first.done > 0
				if first.done != 0 && !resumed {
					t.Errorf("stage %s begins at %d/%d, want 0 (or a mini-batch resume after a sample scan)", first.stage, first.done, first.total)
				}
				for i, c := range r {
					if c.total != first.total || c.done > c.total || c.done < 0 {
						t.Errorf("stage %s: call %d/%d after a total of %d", c.stage, c.done, c.total, first.total)
					}
					if i > 1 && i < len(r)-1 && c.at.Sub(r[i-1].at) < progressEvery*9/10 {
						t.Errorf("stage %s: calls %v apart, want at least %v", c.stage, c.at.Sub(r[i-1].at), progressEvery)
					}
				}
				switch first.stage {
				case StageLoad, StageSample, StageRefine, StageAssign, StageSeeding:
					if last.done != last.total {
						t.Errorf("stage %s ends at %d/%d, want complete", first.stage, last.done, last.total)
					}
				}
				switch first.stage {
				case StageLoad, StageSample, StageRefine, StageAssign:
					if first.total != n {
						t.Errorf("stage %s has total %d, want %d vectors", first.stage, first.total, n)
					}
				case StageSeeding:
					if first.total != DefaultNInit {
						t.Errorf("seeding total %d, want %d", first.total, DefaultNInit)
					}
				case StageMiniBatch:
					if first.total != 40 {
						t.Errorf("mini-batch total %d, want MaxIter 40", first.total)
					}
				case StageRepair:
					if first.total != 2*k {
						t.Errorf("repair total %d, want 2·K = %d", first.total, 2*k)
					}
				default:
					t.Errorf("unknown stage %q", first.stage)
				}
			}
			wantRefine, wantAssign := res.RefinePasses+1, 0
			if tc.refine < 0 {
				wantRefine, wantAssign = 0, 1
			}
			if count[StageRefine] != wantRefine || count[StageAssign] != wantAssign {
				t.Errorf("%d refine and %d assign stages, want %d and %d (RefinePasses %d)",
					count[StageRefine], count[StageAssign], wantRefine, wantAssign, res.RefinePasses)
			}
			if tc.limit == 0 {
				if count[StageLoad] != 1 || count[StageSample] != 0 {
					t.Errorf("in memory: %d load and %d sample stages, want 1 and 0", count[StageLoad], count[StageSample])
				}
			} else if count[StageLoad] != 0 || count[StageSample] < 3 {
				// The seeding sample, the first mini-batch buffer and at
				// least one redraw (40 steps of 256 from a buffer of n/2).
				t.Errorf("streaming: %d load and %d sample stages, want 0 and at least 3", count[StageLoad], count[StageSample])
			}
			if count[StageMiniBatch] == 0 || count[StageSeeding] != 1 || count[StageRepair] != 1 {
				t.Errorf("stage counts %v", count)
			}
			t.Logf("%d calls, stages in order: %v", len(calls), order)
		})
	}
}
