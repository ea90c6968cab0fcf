package harness

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPU       string  `json:"cpu"`
	Cores     int     `json:"cores"`
	Kernel    string  `json:"kernel"`
	Go        string  `json:"go"`
	MemoryGiB float64 `json:"memory_gib"`
	// LoadAverage is /proc/loadavg's 1-minute figure when the run
	// started: other work on a shared machine shows here.
	LoadAverage string `json:"load_average"`
	ClockTicks  int    `json:"clock_ticks"`
}

func describeMachine(ctx context.Context, ticks int) Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), Kernel: runtime.GOOS, Go: runtime.Version(), ClockTicks: ticks}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(string(b))
		if len(f) > 1 && f[0] == "MemTotal:" {
			kib, _ := strconv.ParseFloat(f[1], 64)
			m.MemoryGiB = kib / (1 << 20)
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAverage = f[0]
		}
	}
	// The toolchain that built the targets, which may differ from the
	// one running the harness.
	if out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	return m
}
