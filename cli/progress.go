package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows long work on stderr: a bar on a terminal, a plain line every
// few seconds otherwise, nothing when quiet.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	bar     *progressbar.ProgressBar
	tty     bool
	quiet   bool
	total   int64
	label   string
	unit    string
	start   time.Time
	last    time.Time
	every   time.Duration
	lastVal int64
	printed int64 // value of the last plain line; -1 before the first
}

func newProgress(total int64, label, unit string, quiet bool) *progress {
	p := &progress{w: os.Stderr, quiet: quiet, total: total, label: label, unit: unit, start: time.Now(), every: 5 * time.Second, printed: -1}
	p.tty = term.IsTerminal(int(os.Stderr.Fd()))
	if !quiet && p.tty {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
		)
		_ = p.bar.RenderBlank()
	}
	return p
}

// set reports done units; extra is appended (e.g. "2 bad").
func (p *progress) set(done int64, extra string) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastVal = done
	if p.bar != nil {
		p.bar.Describe(p.label + " (" + p.rateText(done, extra) + ")")
		_ = p.bar.Set64(done)
		return
	}
	now := time.Now()
	if done == p.printed || (now.Sub(p.last) < p.every && done < p.total) {
		return
	}
	p.last, p.printed = now, done
	p.line(done, extra)
}

func (p *progress) line(done int64, extra string) {
	fmt.Fprintf(p.w, "%s: %d/%d (%s)\n", p.label, done, p.total, p.rateText(done, extra))
}

// rateText is "12.3 img/s, ETA 4s" plus extra.
func (p *progress) rateText(done int64, extra string) string {
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	eta := "?"
	if rate > 0 && p.total >= done {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	if extra != "" {
		extra = ", " + extra
	}
	return fmt.Sprintf("%.1f %s/s, ETA %s%s", rate, p.unit, eta, extra)
}

// note prints a line above the bar.
func (p *progress) note(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.w, format+"\n", a...)
	if p.bar != nil {
		_ = p.bar.RenderBlank()
		_ = p.bar.Set64(p.lastVal)
	}
}

func (p *progress) finish() {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}
