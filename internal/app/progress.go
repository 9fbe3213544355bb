package app

import (
	"fmt"

	"github.com/vecimg/vecimg/internal/progress"
)

// Progress receives the progress of long work. An operation calls Start for
// each stage ("ingest", "index build", "import", "downloading weights"),
// then Add as units finish, then Done; Note carries a one-line message for
// the user (a skipped file, "index rebuilt", the device chosen). total < 0
// means unknown. The App calls one Progress from one goroutine at a time
// (embed reports an ingest's counts and bad files from one goroutine), so an
// implementation needs no lock of its own for one operation.
type Progress interface {
	Start(stage, unit string, total int64)
	Add(n int64)
	Note(msg string)
	Done()
}

// Quiet is a Progress that shows nothing.
var Quiet Progress = quiet{}

type quiet struct{}

func (quiet) Start(string, string, int64) {}
func (quiet) Add(int64)                   {}
func (quiet) Note(string)                 {}
func (quiet) Done()                       {}

// progress returns p, else the App's default, else Quiet.
func (a *App) progress(p Progress) Progress {
	switch {
	case p != nil:
		return p
	case a.cfg.Progress != nil:
		return a.cfg.Progress
	}
	return Quiet
}

// stageLabel says how a stage a library reports is shown: the label and
// unit Progress.Start gets, and the total (the library's, or a better one
// the App knows; < 0 unknown). It is asked once as each stage begins.
type stageLabel func(stage string, total int64) (label, unit string, shown int64)

// libraryProgress is the one adapter from a library's progress.Func
// (stage, done, total) to p: a stage begins (Start) when the stage name
// changes or done falls below the last report, and the growth of done goes
// to Add. A stage that begins with done > 0 resumes where it stopped: it is
// shown as "label (unit first–total)" and counts only the rest, so that the
// rate and ETA stay true. The returned end closes the open stage (Done);
// call it once the library has returned, whatever its error.
func libraryProgress(p Progress, label stageLabel) (f progress.Func, end func()) {
	var stage string
	var last int64
	open := false
	end = func() {
		if open {
			p.Done()
			open = false
		}
	}
	f = func(s string, done, total int64) {
		if !open || s != stage || done < last {
			end()
			name, unit, shown := label(s, total)
			if done > 0 && shown >= 0 {
				name += fmt.Sprintf(" (%s %d–%d)", unit, done+1, shown)
				shown -= done
			}
			p.Start(name, unit, shown)
			stage, last, open = s, done, true
		}
		if done > last {
			p.Add(done - last)
			last = done
		}
	}
	return f, end
}

// oneStage shows every stage as label in unit, with the library's total: for
// a library that reports a single stage.
func oneStage(label, unit string) stageLabel {
	return func(_ string, total int64) (string, string, int64) { return label, unit, total }
}
