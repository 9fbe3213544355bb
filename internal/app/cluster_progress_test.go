package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/cluster"
)

// recProgress records Progress calls as text.
type recProgress struct{ log []string }

func (r *recProgress) Start(stage, unit string, total int64) {
	r.log = append(r.log, fmt.Sprintf("start %s [%s] %d", stage, unit, total))
}
func (r *recProgress) Add(n int64)     { r.log = append(r.log, fmt.Sprintf("add %d", n)) }
func (r *recProgress) Note(msg string) { r.log = append(r.log, "note "+msg) }
func (r *recProgress) Done()           { r.log = append(r.log, "done") }

func TestClusterProgressAdapter(t *testing.T) {
	var r recProgress
	f := clusterProgress(&r, 0)
	f(cluster.StageSample, 0, 100)
	f(cluster.StageSample, 60, 100)
	f(cluster.StageSample, 100, 100)
	f(cluster.StageMiniBatch, 0, 50)
	f(cluster.StageMiniBatch, 32, 50)
	f(cluster.StageSample, 0, 100) // a buffer redraw
	f(cluster.StageSample, 100, 100)
	f(cluster.StageMiniBatch, 32, 50) // resumes where it was
	f(cluster.StageMiniBatch, 40, 50)
	f(cluster.StageRefine, 0, 100)
	f(cluster.StageRefine, 100, 100)
	f(cluster.StageRefine, 0, 100) // the next pass
	f(cluster.StageRefine, 100, 100)
	f(cluster.StageSample, 0, 100) // the next k of a sweep (issue 21.4)
	f(cluster.StageRefine, 0, 100)
	f(cluster.StageRefine, 100, 100)
	f(cluster.StageRefine, 0, 100)
	want := []string{
		"start k-means: reading a sample [vec] 100", "add 60", "add 40",
		"done", "start k-means: mini-batch [step] 50", "add 32",
		"done", "start k-means: reading a sample [vec] 100", "add 100",
		"done", "start k-means: mini-batch (step 33–50) [step] 18", "add 8",
		"done", "start k-means: assigning to the centres [vec] 100", "add 100",
		"done", "start k-means: refine pass 1 (at most 20) [vec] 100", "add 100",
		"done", "start k-means: reading a sample [vec] 100",
		"done", "start k-means: assigning to the centres [vec] 100", "add 100",
		"done", "start k-means: refine pass 1 (at most 20) [vec] 100",
	}
	if got := strings.Join(r.log, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("Progress calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
