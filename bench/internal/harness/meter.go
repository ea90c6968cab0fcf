package harness

import (
	"time"

	"github.com/outcrop/outcrop/bench/internal/load"
	"github.com/outcrop/outcrop/bench/internal/procstat"
)

// meter reads the CPU time of the target, the upstream and the
// generator (this process) when a measured window opens and closes.
type meter struct {
	ticks      int
	pids       [3]int // target, upstream, self (0)
	begin, end [3]procstat.CPU
	err        error
}

var _ load.Meter = (*meter)(nil)

func newMeter(ticks, targetPID, upstreamPID int) *meter {
	return &meter{ticks: ticks, pids: [3]int{targetPID, upstreamPID, 0}}
}

func (m *meter) read(into *[3]procstat.CPU) {
	for i, pid := range m.pids {
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

// cpuUsage is a figure of the three processes: CPU µs per operation.
type cpuUsage struct {
	Target    float64 `json:"target_cpu_us"`
	Upstream  float64 `json:"upstream_cpu_us"`
	Generator float64 `json:"generator_cpu_us"`
	// TargetCores is the target's CPU over the window's wall time.
	TargetCores float64 `json:"target_cores"`
}

func (m *meter) usage(ops int64, wall time.Duration) cpuUsage {
	u := cpuUsage{Target: m.perOp(0, ops), Upstream: m.perOp(1, ops), Generator: m.perOp(2, ops)}
	if wall > 0 {
		u.TargetCores = m.cpu(0).Seconds() / wall.Seconds()
	}
	return u
}
