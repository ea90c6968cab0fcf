// Package procstat reads what Linux's /proc says about a process: the
// CPU time it has used (utime+stime, in clock ticks) and its resident
// memory and thread count, so a benchmark can charge each process for
// its own work.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ClockTicks is the kernel's clock ticks per second (getconf CLK_TCK),
// the unit of /proc/PID/stat's CPU times; 100 when getconf is missing,
// the value on every mainstream Linux.
func ClockTicks() int {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || n <= 0 {
		return 100
	}
	return n
}

// CPU is the CPU time a process has used so far, user and system.
type CPU struct {
	// Ticks is utime+stime in clock ticks.
	Ticks int64
}

// Duration converts c to time with the given clock ticks per second.
func (c CPU) Duration(ticksPerSecond int) time.Duration {
	return time.Duration(c.Ticks) * time.Second / time.Duration(ticksPerSecond)
}

// ReadCPU reads utime+stime of pid (0 for this process) from
// /proc/PID/stat.
func ReadCPU(pid int) (CPU, error) {
	b, err := os.ReadFile(statPath(pid, "stat"))
	if err != nil {
		return CPU{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// or parentheses itself: the fields that follow start after the last
	// ")". utime and stime are fields 14 and 15, so the 12th and 13th
	// after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return CPU{}, errors.New("malformed /proc stat: no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return CPU{}, fmt.Errorf("malformed /proc stat: %d fields after the command name", len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return CPU{}, fmt.Errorf("malformed /proc stat: %w", err)
	}
	return CPU{Ticks: ut + st}, nil
}

// Memory is what /proc/PID/status says of a process's size.
type Memory struct {
	// RSSKiB is VmRSS, the resident set, in KiB.
	RSSKiB int64 `json:"rss_kib"`
	// Threads is the number of OS threads.
	Threads int `json:"threads"`
}

// ReadMemory reads VmRSS and Threads of pid (0 for this process).
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(statPath(pid, "status"))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSSKiB, _ = strconv.ParseInt(f[0], 10, 64)
		case "Threads":
			m.Threads, _ = strconv.Atoi(f[0])
		}
	}
	return m, nil
}

func statPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}
