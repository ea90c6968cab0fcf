package procstat

import (
	"os"
	"strings"
	"testing"
)

func TestReadSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	c, err := ReadCPU(0)
	if err != nil || c.Ticks < 0 {
		t.Fatalf("ReadCPU: got %+v, %v", c, err)
	}
	m, err := ReadMemory(0)
	if err != nil || m.RSSKiB <= 0 || m.Threads <= 0 {
		t.Fatalf("ReadMemory: got %+v, %v, want a positive RSS and thread count", m, err)
	}
	if n := ClockTicks(); n <= 0 {
		t.Errorf("ClockTicks: got %d, want > 0", n)
	}
}

func TestGoroutineCounter(t *testing.T) {
	dump := `SCHED 0ms: gomaxprocs=2 idleprocs=2 threads=5 spinningthreads=0 needspinning=0 idlethreads=2 runqueue=0 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false
  P0: status=0 schedtick=1 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0
  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=1 dying=0 spinning=false blocked=false lockedg=nil
  G1: status=4(chan receive) m=nil lockedm=nil
  G2: status=4(force gc (idle)) m=nil lockedm=nil
  G3: status=6() m=nil lockedm=nil
  G4: status=4100(select) m=nil lockedm=nil
{"level":"WARN","msg":"a log line"}
SCHED 1000ms: gomaxprocs=2 idleprocs=2 threads=5 spinningthreads=0 needspinning=0 idlethreads=2 runqueue=0 gcwaiting=false nmidlelocked=0 stopwait=0 sysmonwait=false
  G1: status=4(chan receive) m=nil lockedm=nil
`
	var other strings.Builder
	c := NewGoroutineCounter(&other)
	if n, _ := c.Last(); n != -1 {
		t.Fatalf("before a dump: got %d, want -1", n)
	}
	c.Read(strings.NewReader(dump))
	n, dumps := c.Last()
	if n != 3 || dumps != 1 {
		t.Errorf("got %d live goroutines in %d dumps, want 3 in 1 (dead ones and the unfinished dump left out)", n, dumps)
	}
	if !strings.Contains(other.String(), "a log line") {
		t.Errorf("other lines: got %q, want the log line", other.String())
	}
}
