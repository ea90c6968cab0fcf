package ingest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestProgressPlain(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	p := newProgress(&out, false, 10*time.Second, clock.now)
	p.start(100, 20)
	for range 16 {
		clock.advance(time.Second)
		p.add(5)
	}
	p.finish(nil)

	s := out.String()
	if strings.ContainsAny(s, "\r\x1b") {
		t.Errorf("plain output has control characters: %q", s)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	// The start line, one per 10% crossed (30% .. 100%: eight), the end.
	if len(lines) != 10 {
		t.Errorf("%d lines, want 10:\n%s", len(lines), s)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "ingest: ") {
			t.Errorf("line %q lacks the prefix", l)
		}
	}
	for _, want := range []string{
		"embedding 80 chunks (20 resumed from the journal)",
		"30/100 chunks, 30%, 5.0 chunks/s, ETA 14s",
		"100/100 chunks, 100%, 5.0 chunks/s, ETA 0s",
		"done: 80 chunks embedded, 20 resumed, in 16s (5.0 chunks/s)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

func TestProgressPlainInterval(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	p := newProgress(&out, false, 10*time.Second, clock.now)
	p.start(1000, 0)
	for range 30 { // 30 chunks in 30s: no 10% step, three intervals
		clock.advance(time.Second)
		p.add(1)
	}
	if got := strings.Count(out.String(), "\n"); got != 4 {
		t.Errorf("%d lines, want 4 (start and one per 10s):\n%s", got, out.String())
	}
}

func TestProgressTerminal(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	p := newProgress(&out, true, 10*time.Second, clock.now)
	p.start(200, 0)
	for range 200 { // one chunk every 10ms: 2s in all
		clock.advance(10 * time.Millisecond)
		p.add(1)
	}
	p.finish(nil)

	s := out.String()
	// The first draw, at most one per 100ms after it, and the final one.
	if n := strings.Count(s, "\r"); n < 10 || n > 22 {
		t.Errorf("%d redraws, want 10..22 (ten a second)", n)
	}
	if !strings.Contains(s, "\r[##############################] 200/200 chunks, 100%, 100.0 chunks/s, ETA 0s") {
		t.Errorf("no final full bar in %q", s[max(0, len(s)-300):])
	}
	if !strings.Contains(s, "[###############...............] 100/200 chunks, 50%") {
		t.Errorf("no half bar in output")
	}
	if !strings.HasSuffix(s, "\ningest: done: 200 chunks embedded, 0 resumed, in 2s (100.0 chunks/s)\n") {
		t.Errorf("the bar line is not ended before the summary: %q", s[max(0, len(s)-120):])
	}
}

func TestProgressTerminalPads(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	p := newProgress(&out, true, time.Second, clock.now)
	p.start(1000, 0)
	clock.advance(time.Second)
	p.add(1) // a long ETA
	clock.advance(time.Hour)
	p.add(999) // a short one
	draws := strings.Split(out.String(), "\r")
	last, prev := draws[len(draws)-1], draws[len(draws)-2]
	if len(last) < len(prev) {
		t.Errorf("a shorter line does not cover the longer one:\n%q\n%q", prev, last)
	}
}

func TestProgressStopped(t *testing.T) {
	var out bytes.Buffer
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	p := newProgress(&out, false, time.Second, clock.now)
	p.start(10, 0)
	p.add(3)
	p.finish(errors.New("boom"))
	if !strings.Contains(out.String(), "stopped after 0s at 3/10 chunks") {
		t.Errorf("output %q", out.String())
	}
	var nilp *progress
	nilp.start(1, 0) // a nil report is silent, not a panic
	nilp.add(1)
	nilp.finish(nil)
}

func TestRunProgress(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, corpus())
	for _, terminal := range []bool{false, true} {
		var out bytes.Buffer
		o := testOptions(&fakeEmbedder{})
		o.Progress = &out
		o.Terminal = terminal
		mustRun(t, []string{dir}, o)
		s := out.String()
		if got := strings.Contains(s, "\r"); got != terminal {
			t.Errorf("terminal %v: output has \\r: %v\n%q", terminal, got, s)
		}
		if !strings.Contains(s, "6 files") || !strings.Contains(s, "done:") {
			t.Errorf("terminal %v: output %q", terminal, s)
		}
	}
}
