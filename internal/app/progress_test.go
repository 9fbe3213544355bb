package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vecimg/vecimg/cluster"
	"github.com/vecimg/vecimg/index"
	"github.com/vecimg/vecimg/internal/dedup"
	"github.com/vecimg/vecimg/internal/merge"
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
	f, _ := libraryProgress(&r, clusterStages(0))
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

// The one adapter serves every library: the index's stages, dedup's, and a
// single-stage library closed by end; end closes only what was begun.
func TestLibraryProgress(t *testing.T) {
	var r recProgress
	f, end := libraryProgress(&r, indexStage)
	f(index.StageEncoding, 0, 10)
	f(index.StageEncoding, 10, 10)
	f(index.StageSaving, 0, 1)
	f(index.StageSaving, 1, 1)
	end()
	end() // nothing more to close
	f, end = libraryProgress(&r, dedupStage)
	f(dedup.StageNeighbours, 0, 5)
	f(dedup.StageNeighbours, 5, 5)
	f(dedup.StageDistances, 0, 3)
	f(dedup.StageDistances, 3, 3)
	end()
	f, end = libraryProgress(&r, oneStage("merge", "rec"))
	f(merge.StageWrite, 0, -1)
	f(merge.StageWrite, 256, -1)
	f(merge.StageWrite, 300, -1)
	end()
	_, end = libraryProgress(&r, oneStage("ingest", "img"))
	end() // the library failed before its first report: no Done without Start
	want := []string{
		"start index: encoding [vectors] 10", "add 10", "done",
		"start index: saving [files] 1", "add 1", "done",
		"start dups: neighbours [img] 5", "add 5", "done",
		"start dups: distances [img] 3", "add 3", "done",
		"start merge [rec] -1", "add 256", "add 44", "done",
	}
	if got := strings.Join(r.log, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("Progress calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
