package app

import (
	"runtime"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		name              string
		live, roots, want int64
	}{
		{"small heap: the floor's goal", 4 * mb, 2 * mb, 1000},
		{"large heap: the base", 40 * mb, 4 * mb, 200},
		{"over the floor", 80 * mb, 1 * mb, 200},
		{"nearly empty: capped", 64 << 10, 0, maxTunedGCPercent},
		{"nothing read", 0, 0, 200},
	} {
		got := gcPercentFor(200, 64*mb, c.live, c.roots)
		if got != c.want {
			t.Errorf("%s: live %d roots %d: GOGC %d, want %d", c.name, c.live, c.roots, got, c.want)
		}
		// The goal that GOGC gives reaches the floor, or the cap binds.
		if got > 200 && got < maxTunedGCPercent {
			if goal := c.live + (c.live+c.roots)*got/100; goal < 64*mb-mb/100 || goal > 64*mb {
				t.Errorf("%s: goal %d, want about the floor", c.name, goal)
			}
		}
	}
}

// gcCycle runs a collection and waits until the finalizers it queued
// have had their turn: a marker's finalizer runs after the tuner's
// sentinel of the same cycle or soon after.
func gcCycle(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) { close(done) })
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-done:
			time.Sleep(10 * time.Millisecond)
			return
		case <-deadline:
			t.Fatal("no finalizer ran after 10 s of collections")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestGCTuner: after a collection the tuner raises GOGC for the test's
// small heap, stop puts the base back, and no adjustment follows it.
func TestGCTuner(t *testing.T) {
	var set []int
	tu := newGCTuner(200, 1<<30)
	tu.set = func(p int) int { set = append(set, p); return 0 }
	tu.arm()
	for range 3 {
		gcCycle(t)
	}
	tu.mu.Lock()
	adjusted, got := tu.adjusted, append([]int(nil), set...)
	tu.mu.Unlock()
	if adjusted == 0 || len(got) == 0 || got[0] <= 200 {
		t.Fatalf("after 3 collections: %d adjustments, GOGC set to %v; want one above 200", adjusted, got)
	}
	tu.stop()
	for range 3 {
		gcCycle(t)
	}
	tu.mu.Lock()
	defer tu.mu.Unlock()
	if tu.adjusted != adjusted {
		t.Errorf("%d adjustments after stop", tu.adjusted-adjusted)
	}
	if last := set[len(set)-1]; last != 200 {
		t.Errorf("GOGC left at %d after stop, want 200", last)
	}
}
