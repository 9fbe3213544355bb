package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vecimg/vecimg/internal/app"
)

// minStage is how long a stage runs before its progress is shown: a stage
// that ends sooner shows nothing (no bar, no line, no rate of a blink).
// The tests of other output set it to 0.
var minStage = time.Second

// progress is the CLI's app.Progress: on a terminal a bar with rate and
// ETA, otherwise a plain line every few seconds; notes go above the bar.
// Nothing is shown for a stage until it has run minStage. Everything is
// written to the app's error writer.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	bar     *progressbar.ProgressBar
	stage   string
	unit    string
	total   int64
	done    int64
	start   time.Time
	last    time.Time
	every   time.Duration
	printed int64
	min     time.Duration    // minStage when made
	now     func() time.Time // time.Now; a fake clock in tests
}

// newProgress returns the progress for a command: quiet (for -q and --json)
// shows nothing at all.
func newProgress(w io.Writer, quiet bool) app.Progress {
	if quiet {
		return app.Quiet
	}
	p := &progress{w: w, every: 5 * time.Second, min: minStage, now: time.Now}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) Start(stage, unit string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stage, p.unit, p.total, p.done, p.printed = stage, unit, total, 0, -1
	p.start, p.last = p.now(), time.Time{}
	p.bar = nil
}

// showBar starts the terminal bar once the stage has run p.min.
func (p *progress) showBar() {
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(p.total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.stage),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
		)
		_ = p.bar.RenderBlank()
	}
}

func (p *progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := p.now()
	if now.Sub(p.start) < p.min {
		return // a short stage shows nothing
	}
	if p.tty {
		p.showBar()
		p.bar.Describe(p.stage + p.rateText())
		_ = p.bar.Set64(p.done)
		return
	}
	if p.done == p.printed || (now.Sub(p.last) < p.every && (p.total < 0 || p.done < p.total)) {
		return
	}
	p.last, p.printed = now, p.done
	if p.total >= 0 {
		fmt.Fprintf(p.w, "%s: %d/%d%s\n", p.stage, p.done, p.total, p.rateText())
	} else {
		fmt.Fprintf(p.w, "%s: %d%s\n", p.stage, p.done, p.rateText())
	}
}

// rateText is " (12.3 img/s, ETA 4s)", or "" while there is no rate worth
// giving (under a second, or nothing done yet).
func (p *progress) rateText() string {
	el := p.now().Sub(p.start).Seconds()
	if el < 1 || p.done == 0 {
		return ""
	}
	rate := float64(p.done) / el
	if p.total < p.done {
		return fmt.Sprintf(" (%.1f %s/s)", rate, p.unit)
	}
	eta := (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second)
	return fmt.Sprintf(" (%.1f %s/s, ETA %s)", rate, p.unit, eta)
}

func (p *progress) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, msg)
	if p.bar != nil {
		_ = p.bar.RenderBlank()
		_ = p.bar.Set64(p.done)
	}
}

func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
}
