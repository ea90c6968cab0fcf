package harness

import (
	"time"

	"github.com/outcrop/outcrop/bench/internal/load"
	"github.com/outcrop/outcrop/bench/internal/procstat"
)

// meter reads the CPU time of the target, the upstream, the generator
// (this process) and Redis when a measured window opens and closes.
type meter struct {
	ticks      int
	pids       [4]int // target, upstream, self (0), Redis (-1: not measured)
	begin, end [4]procstat.CPU
	err        error
}

// Process indexes of a meter.
const (
	procTarget = iota
	procUpstream
	procGenerator
	procRedis
)

var _ load.Meter = (*meter)(nil)

// newMeter meters the target and the upstream; redisPID is Redis's
// process, or -1 when its CPU is not measured.
func newMeter(ticks, targetPID, upstreamPID, redisPID int) *meter {
	return &meter{ticks: ticks, pids: [4]int{targetPID, upstreamPID, 0, redisPID}}
}

func (m *meter) read(into *[4]procstat.CPU) {
	for i, pid := range m.pids {
		if pid < 0 {
			continue
		}
		c, err := procstat.ReadCPU(pid)
		if err != nil && m.err == nil {
			m.err = err
		}
		into[i] = c
	}
}

// Begin reads the CPU times at the window's start.
func (m *meter) Begin() { m.read(&m.begin) }

// End reads them at its end.
func (m *meter) End() { m.read(&m.end) }

// cpu is what process i used in the window.
func (m *meter) cpu(i int) time.Duration {
	return procstat.CPU{Ticks: m.end[i].Ticks - m.begin[i].Ticks}.Duration(m.ticks)
}

// perOp is the CPU of process i in µs per operation.
func (m *meter) perOp(i int, ops int64) float64 {
	if ops <= 0 {
		return 0
	}
	return float64(m.cpu(i).Microseconds()) / float64(ops)
}

// cpuUsage is a figure of the processes: CPU µs per operation.
type cpuUsage struct {
	Target    float64 `json:"target_cpu_us"`
	Upstream  float64 `json:"upstream_cpu_us"`
	Generator float64 `json:"generator_cpu_us"`
	// Redis is the Redis server's, for a target that keeps its limits
	// there, when the server is a process of this machine.
	Redis float64 `json:"redis_cpu_us,omitempty"`
	// TargetCores is the target's CPU over the window's wall time.
	TargetCores float64 `json:"target_cores"`
}

func (m *meter) usage(ops int64, wall time.Duration) cpuUsage {
	u := cpuUsage{Target: m.perOp(procTarget, ops), Upstream: m.perOp(procUpstream, ops), Generator: m.perOp(procGenerator, ops)}
	if m.pids[procRedis] >= 0 {
		u.Redis = m.perOp(procRedis, ops)
	}
	if wall > 0 {
		u.TargetCores = m.cpu(procTarget).Seconds() / wall.Seconds()
	}
	return u
}
