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

// progress is the CLI's app.Progress: on a terminal a bar with rate and
// ETA, otherwise a plain line every few seconds; notes go above the bar.
// Everything is written to the app's error writer.
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
}

// newProgress returns the progress for a command: quiet (for -q and --json)
// shows nothing at all.
func newProgress(w io.Writer, quiet bool) app.Progress {
	if quiet {
		return app.Quiet
	}
	p := &progress{w: w, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) Start(stage, unit string, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stage, p.unit, p.total, p.done, p.printed = stage, unit, total, 0, -1
	p.start, p.last = time.Now(), time.Time{}
	if p.tty {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(stage),
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
	if p.bar != nil {
		p.bar.Describe(p.stage + " (" + p.rateText() + ")")
		_ = p.bar.Set64(p.done)
		return
	}
	now := time.Now()
	if p.done == p.printed || (now.Sub(p.last) < p.every && (p.total < 0 || p.done < p.total)) {
		return
	}
	p.last, p.printed = now, p.done
	if p.total >= 0 {
		fmt.Fprintf(p.w, "%s: %d/%d (%s)\n", p.stage, p.done, p.total, p.rateText())
	} else {
		fmt.Fprintf(p.w, "%s: %d (%s)\n", p.stage, p.done, p.rateText())
	}
}

// rateText is "12.3 img/s, ETA 4s".
func (p *progress) rateText() string {
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.done) / el
	}
	eta := "?"
	if rate > 0 && p.total >= p.done {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%.1f %s/s, ETA %s", rate, p.unit, eta)
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
