package app

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// defaultGCPercent is the GOGC the gateway runs with when GOGC is not
// set: the live heap of a gateway is small (tens of MB) and nearly all
// its allocations die with their request, so collecting at twice the
// live heap rather than at once more halves the collections for a few
// MB more of memory.
const defaultGCPercent = 200

// cgroupMemoryMax is where a container's memory limit is read (cgroup v2).
var cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// tuneRuntime sets the collector's pace for serving, unless the
// environment sets it: GOGC defaultGCPercent, with a heap goal of at
// least heapGoalFloor while the live heap is small (gcTuner), and
// GOMEMLIMIT 90% of the container's memory limit when there is one, so
// that the collector works harder near the limit instead of the process
// being killed. It returns what it set, for the startup log, and stop,
// which ends the tuner.
func tuneRuntime(getenv func(string) string) (set []any, stop func()) {
	stop = func() {}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
		stop = startGCTuner(defaultGCPercent)
		set = append(set, "gogc", defaultGCPercent, "gc_heap_goal_floor_bytes", heapGoalFloor)
	}
	if getenv("GOMEMLIMIT") == "" {
		if limit, ok := containerMemoryLimit(); ok {
			soft := limit / 10 * 9
			debug.SetMemoryLimit(soft)
			set = append(set, "gomemlimit_bytes", soft)
		}
	}
	return set, stop
}

// containerMemoryLimit reads the cgroup v2 memory limit; "max" (none) or
// no cgroup file is no limit.
func containerMemoryLimit() (int64, bool) {
	b, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// logRuntime notes the collector settings tuneRuntime made.
func logRuntime(logger *slog.Logger, set []any) {
	if len(set) > 0 {
		logger.Info("Go runtime tuned (GOGC/GOMEMLIMIT in the environment win)", set...)
	}
}
