package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/outcrop/outcrop/bench/internal/procstat"
)

// probes counts the goroutines of a fresh instance of each proxy target
// (floors and Outcrop) at idle, under Plan.Hold open streams, and after
// the load, from the Go runtime's scheduler dumps (Outcrop serves no
// pprof endpoint). The dumps cost the probed process CPU, so nothing
// else is measured on it.
func (h *harness) probes(ctx context.Context) {
	for _, t := range h.targets {
		if !t.probe || ctx.Err() != nil {
			continue
		}
		p, err := h.probe(ctx, t)
		if err != nil {
			h.problem(err, "%s goroutine probe", t.name)
			continue
		}
		h.res.Probes = append(h.res.Probes, p)
		h.progress("goroutines %-30s idle %d  peak %d  after %d (%.1f s after the load)", t.name, p.Idle, p.Peak, p.After, p.AfterSeconds)
	}
}

func (h *harness) probe(ctx context.Context, t *target) (Probe, error) {
	logf, err := os.Create(filepath.Join(h.work, strings.ReplaceAll(t.name, "+", "_")+"-probe.stderr"))
	if err != nil {
		return Probe{}, err
	}
	defer logf.Close()
	counter := procstat.NewGoroutineCounter(logf)
	inst, err := h.startTarget(ctx, t, "probe", counter)
	if err != nil {
		return Probe{}, err
	}
	defer func() {
		inst.proc.stop()
		select { // the log file is closed after the last line
		case <-counter.Done():
		case <-time.After(5 * time.Second):
		}
	}()
	period := time.Duration(h.plan.ProbePeriodMs) * time.Millisecond
	idle, err := waitDumps(ctx, counter, 2, period)
	if err != nil {
		return Probe{}, err
	}
	p := Probe{Target: t.name, Idle: idle}
	p.IdleMem, _ = procstat.ReadMemory(inst.proc.pid())
	counter.ResetPeak()
	pt := *t
	pt.proc, pt.addr, pt.key = inst.proc, inst.addr, inst.key
	r := h.streamRun(ctx, &pt, h.plan.Hold, h.plan.Held, nil)
	if r.Errors > 0 {
		h.problem(errString(r.FirstError), "%s probe: %d of %d streams failed", t.name, r.Errors, r.Streams)
	}
	p.Peak = counter.ResetPeak()
	h.streamClient.CloseIdleConnections()
	ended := time.Now()
	// Wait for the count to come back to idle, for at most a few
	// seconds; a gateway keeping idle upstream connections holds two
	// goroutines for each until its transport's idle timeout.
	p.After = -1
	for time.Since(ended) < h.plan.Settle+3*period && ctx.Err() == nil {
		n, err := waitDumps(ctx, counter, 1, period)
		if err != nil {
			return p, err
		}
		p.After, p.AfterSeconds = n, time.Since(ended).Seconds()
		if n <= p.Idle && time.Since(ended) > period {
			break
		}
	}
	p.AfterMem, _ = procstat.ReadMemory(inst.proc.pid())
	return p, nil
}

// waitDumps waits for n more complete dumps and returns the last count.
func waitDumps(ctx context.Context, c *procstat.GoroutineCounter, n int, period time.Duration) (int, error) {
	_, start := c.Last()
	deadline := time.Now().Add(time.Duration(n+3)*period + 5*time.Second)
	for time.Now().Before(deadline) {
		if count, dumps := c.Last(); dumps >= start+n {
			return count, nil
		}
		pause(ctx, period/10)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	return 0, errString("no scheduler dump from the probed process (GODEBUG schedtrace)")
}

// errString is an error with a fixed text.
type errString string

func (e errString) Error() string { return string(e) }
