package app

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// heapGoalFloor is the smallest heap goal the collector is given while
// the gateway's live heap is small. At GOGC 200 alone, a live heap of a
// few MB is collected every few tens of MB allocated, about ten times a
// second under load, and each collection's fixed part (the globals, the
// AWS SDK's tables among them, and every goroutine's stack) is paid again
// each time. Once the live heap is large (thousands of open streams), the
// goal GOGC gives is above the floor and nothing changes.
const heapGoalFloor = 64 << 20

// maxTunedGCPercent bounds what the tuner sets, for a nearly empty heap.
const maxTunedGCPercent = 2000

// gcTuner keeps the collector's heap goal at least floor while the live
// heap is small, by raising GOGC above base after each collection, and
// back to base once the heap has grown: goal = live + (live + stacks +
// globals) × GOGC / 100 (the runtime's own formula). A memory limit
// (GOMEMLIMIT) still bounds the heap: the runtime collects sooner near it
// whatever GOGC says.
type gcTuner struct {
	base, floor int64
	// mu orders adjust and stop; percent is the GOGC last set, stopped
	// ends the re-arming.
	mu      sync.Mutex
	percent int64
	stopped bool
	samples []metrics.Sample
	// set is debug.SetGCPercent, replaced in tests; adjusted counts the
	// adjustments.
	set      func(int) int
	adjusted int
}

// gcSentinel is the object whose finalizer runs once after each
// collection: it holds a pointer, so it is not batched by the tiny
// allocator (whose objects' finalizers may never run).
type gcSentinel struct{ t *gcTuner }

// startGCTuner starts a tuner with GOGC base; stop ends it and leaves
// GOGC at base.
func startGCTuner(base int) (stop func()) {
	t := newGCTuner(int64(base), heapGoalFloor)
	t.arm()
	return t.stop
}

func newGCTuner(base, floor int64) *gcTuner {
	t := &gcTuner{base: base, floor: floor, percent: base, set: debug.SetGCPercent}
	t.samples = []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}
	return t
}

func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{t}, func(s *gcSentinel) {
		if s.t.adjust() {
			s.t.arm()
		}
	})
}

func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	t.set(int(t.base))
	t.percent = t.base
}

// adjust sets GOGC for the collection just finished, and reports whether
// the tuner goes on. It runs on the finalizer goroutine.
func (t *gcTuner) adjust() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.adjusted++
	metrics.Read(t.samples)
	var v [3]int64
	for i, s := range t.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = int64(s.Value.Uint64())
		}
	}
	p := gcPercentFor(t.base, t.floor, v[0], v[1]+v[2])
	// Small changes are not worth a new pace.
	if old := t.percent; p != old && (p == t.base || p*10 < old*9 || p*10 > old*11) {
		t.set(int(p))
		t.percent = p
	}
	return true
}

// gcPercentFor is the GOGC that makes the heap goal at least floor for a
// live heap of live bytes and roots (stacks and globals) of roots bytes,
// and never less than base.
func gcPercentFor(base, floor, live, roots int64) int64 {
	scanned := live + roots
	if scanned <= 0 || live >= floor {
		return base
	}
	return max(base, min((floor-live)*100/scanned, maxTunedGCPercent))
}
