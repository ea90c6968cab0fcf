package app

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// TestTuneRuntime sets GOGC and GOMEMLIMIT unless the environment does,
// the memory limit from the container's.
func TestTuneRuntime(t *testing.T) {
	oldGC := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	oldPath := cgroupMemoryMax
	t.Cleanup(func() {
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
		cgroupMemoryMax = oldPath
	})
	dir := t.TempDir()
	cgroupMemoryMax = filepath.Join(dir, "memory.max")
	if err := os.WriteFile(cgroupMemoryMax, []byte("1073741824\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }

	set, stop := tuneRuntime(none)
	stop() // the tuner leaves GOGC at the default
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != 1073741824/10*9 {
		t.Errorf("memory limit %d, want 90%% of 1 GiB", got)
	}
	if len(set) != 6 {
		t.Errorf("reported %v", set)
	}

	debug.SetMemoryLimit(1 << 62)
	env := map[string]string{"GOGC": "50", "GOMEMLIMIT": "100MiB"}
	set, stop = tuneRuntime(func(k string) string { return env[k] })
	stop()
	if len(set) != 0 {
		t.Errorf("the environment's settings overridden: %v", set)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d, want the environment's (left alone)", got)
	}

	if err := os.WriteFile(cgroupMemoryMax, []byte("max\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	debug.SetMemoryLimit(1 << 62)
	_, stop = tuneRuntime(none)
	stop()
	if got := debug.SetMemoryLimit(-1); got != 1<<62 {
		t.Errorf("no container limit: memory limit %d changed", got)
	}
}
