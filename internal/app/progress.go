package app

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
