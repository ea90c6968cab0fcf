package ingest

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// redrawEvery limits a terminal's progress bar to ten redraws a second:
// faster is flicker, and a write per batch to a slow terminal would cost
// more than the batch.
const redrawEvery = 100 * time.Millisecond

const barWidth = 30

// progress reports how the embedding goes. A nil *progress reports
// nothing, so that callers need not check.
type progress struct {
	w        io.Writer
	terminal bool
	interval time.Duration    // the longest gap between plain lines
	now      func() time.Time // the clock, a parameter for the tests

	mu          sync.Mutex
	total, done int
	resumed     int // chunks done before the start, not part of the rate
	began, last time.Time
	decile      int  // the last tenth reported in plain mode
	width       int  // the length of the bar line last drawn
	drawn       bool // a bar line is on screen, not yet ended
}

// newProgress returns a report to w, or nil when w is nil.
func newProgress(w io.Writer, terminal bool, interval time.Duration, now func() time.Time) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, terminal: terminal, interval: interval, now: now}
}

// logf writes a plain line.
func (p *progress) logf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(fmt.Sprintf(format, args...))
}

// line writes one plain line, ending the bar line first if one is drawn.
func (p *progress) line(s string) {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	fmt.Fprintf(p.w, "ingest: %s\n", s)
}

// start begins the report: total chunks, of which resumed are done.
func (p *progress) start(total, resumed int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.done, p.resumed = total, resumed, resumed
	p.began = p.now()
	p.last = p.began
	p.decile = p.tenths()
	p.line(fmt.Sprintf("embedding %d chunks (%d resumed from the journal)", total-resumed, resumed))
	if p.terminal {
		p.draw(p.began)
	}
}

// add counts n more chunks done.
func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	t := p.now()
	if p.terminal {
		if t.Sub(p.last) >= redrawEvery {
			p.draw(t)
		}
		return
	}
	if d := p.tenths(); d > p.decile || t.Sub(p.last) >= p.interval {
		p.decile = d
		p.last = t
		p.line(p.status(t))
	}
}

// finish ends the report; err is the run's outcome.
func (p *progress) finish(err error) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if p.terminal {
		p.draw(t)
	}
	elapsed := t.Sub(p.began).Round(time.Millisecond)
	if err != nil {
		p.line(fmt.Sprintf("stopped after %s at %d/%d chunks", elapsed, p.done, p.total))
		return
	}
	p.line(fmt.Sprintf("done: %d chunks embedded, %d resumed, in %s (%.1f chunks/s)", p.done-p.resumed, p.resumed, elapsed, p.rate(t)))
}

// draw redraws the bar line in place.
func (p *progress) draw(t time.Time) {
	filled := barWidth
	if p.total > 0 {
		filled = p.done * barWidth / p.total
	}
	s := "[" + strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled) + "] " + p.status(t)
	// \r returns to the start of the line; spaces cover the end of a
	// longer line drawn before (no ANSI codes: not every terminal takes
	// them, and a log viewer shows them as garbage).
	pad := max(p.width-len(s), 0)
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", pad))
	p.width = len(s)
	p.last = t
	p.drawn = true
}

// status is "120/480 chunks, 25%, 35.2 chunks/s, ETA 10s".
func (p *progress) status(t time.Time) string {
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	eta := "ETA --"
	if rate := p.rate(t); rate > 0 {
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		eta = "ETA " + left.Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d chunks, %.0f%%, %.1f chunks/s, %s", p.done, p.total, pct, p.rate(t), eta)
}

// rate is the chunks embedded per second since the start; resumed chunks
// cost nothing and would inflate it.
func (p *progress) rate(t time.Time) float64 {
	secs := t.Sub(p.began).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(p.done-p.resumed) / secs
}

// tenths returns how many tenths of the total are done.
func (p *progress) tenths() int {
	if p.total == 0 {
		return 10
	}
	return p.done * 10 / p.total
}
