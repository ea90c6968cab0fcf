package procstat

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"sync"
)

// GoroutineProbeEnv is the GODEBUG setting that makes a Go program dump
// its scheduler state, every goroutine included, to standard error every
// period milliseconds: the one way to count the goroutines of a program
// that serves no pprof endpoint without changing it. The dump holds the
// scheduler lock while it prints, so a probed process is for counting
// only, not for timing.
func GoroutineProbeEnv(periodMs int) string {
	return "GODEBUG=schedtrace=" + strconv.Itoa(periodMs) + ",scheddetail=1"
}

// The runtime's statuses of goroutines that are not running code:
// _Gdead, one that exited and is kept for reuse, and _Gdeadextra, one
// kept for a C thread calling into Go (runtime/runtime2.go). _Gscan
// (0x1000) may be or-ed into any status.
const (
	gDead      = 6
	gDeadExtra = 11
	gScan      = 0x1000
)

// GoroutineCounter reads scheddetail dumps (GoroutineProbeEnv) and keeps
// the live goroutine count of the last complete one. Other lines (the
// program's own logs) pass to Other, when it is set.
type GoroutineCounter struct {
	// Other receives the lines that are not part of a dump; nil drops
	// them.
	Other io.Writer

	done chan struct{} // closed when Read returns

	mu      sync.Mutex
	current int  // live goroutines in the dump being read
	inDump  bool // a SCHED line was seen
	last    int  // live goroutines in the last complete dump, -1 before one
	peak    int
	dumps   int
}

// NewGoroutineCounter returns a counter that has seen no dump.
func NewGoroutineCounter(other io.Writer) *GoroutineCounter {
	return &GoroutineCounter{Other: other, last: -1, done: make(chan struct{})}
}

// Read consumes r (the probed process's standard error) until it ends.
// It must be called once.
func (c *GoroutineCounter) Read(r io.Reader) {
	defer close(c.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		c.line(sc.Text())
	}
}

func (c *GoroutineCounter) line(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case strings.HasPrefix(s, "SCHED "):
		c.finish()
		c.inDump, c.current = true, 0
	case c.inDump && strings.HasPrefix(s, "  G"):
		if st, ok := gStatus(s); ok && st&^gScan != gDead && st&^gScan != gDeadExtra {
			c.current++
			// A dump is printed in one burst: its count so far is
			// already a peak, and waiting for the next dump to close it
			// would miss a load shorter than the period.
			c.peak = max(c.peak, c.current)
		}
	case c.inDump && (strings.HasPrefix(s, "  P") || strings.HasPrefix(s, "  M")):
	default:
		if c.Other != nil {
			_, _ = io.WriteString(c.Other, s+"\n")
		}
	}
}

// finish closes the dump being read, if any.
func (c *GoroutineCounter) finish() {
	if !c.inDump {
		return
	}
	c.last = c.current
	c.peak = max(c.peak, c.current)
	c.dumps++
}

// gStatus parses the status of a "  G12: status=4(chan receive) m=nil"
// line.
func gStatus(s string) (int, bool) {
	_, rest, ok := strings.Cut(s, "status=")
	if !ok {
		return 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

// Last is the live goroutine count of the last complete dump and how
// many dumps were complete; -1 before the first.
func (c *GoroutineCounter) Last() (count, dumps int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.dumps
}

// Done is closed when Read has returned.
func (c *GoroutineCounter) Done() <-chan struct{} { return c.done }

// ResetPeak forgets the peak seen so far (the most live goroutines of
// any dump, the one being read included), and returns it.
func (c *GoroutineCounter) ResetPeak() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.peak
	c.peak = 0
	return p
}
