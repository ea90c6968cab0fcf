package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/outcrop/outcrop/bench/internal/load"
	"github.com/outcrop/outcrop/bench/internal/procstat"
	"github.com/outcrop/outcrop/bench/internal/upstream"
)

// streamPhase holds Plan.Hold streams open on each stream target (its
// memory then), each target restarted first, so that the memory is the
// streams' and not what the earlier phases' request rates left in the
// heap (the open loop's top rates grew a gateway's RSS past 200 MiB,
// kept afterwards); then it climbs the concurrency ladder with paced streams
// until a rung stalls or fails, then reads the memory left after the
// load. The ladder goes rung by rung across the targets still climbing,
// in an order reversed at every rung, each run after a pause, so that
// the machine's drift and the upstream's state (its heap, its
// connections from the last run) do not favour one target: run target
// by target, whichever came second passed a saturated rung the first
// failed, even against itself.
func (h *harness) streamPhase(ctx context.Context) {
	var ts []*target
	phases := map[*target]*StreamPhase{}
	for _, t := range h.targets {
		if !t.streams || ctx.Err() != nil {
			continue
		}
		if err := h.restart(ctx, t); err != nil {
			h.problem(err, "%s: restart for the stream phase", t.name)
			continue
		}
		ts = append(ts, t)
		sp := &StreamPhase{Target: t.name}
		phases[t] = sp
		var peak Mem
		profiled := false
		sample := func(open int) {
			if m, err := procstat.ReadMemory(t.proc.pid()); err == nil && m.RSSKiB > peak.RSSKiB {
				peak = m
			}
			// With -profile, the heap once every stream is open: what
			// the held streams' memory is made of (the profile, and the
			// runtime's MemStats, stacks among them, in its text form,
			// both after a collection, so that the in-use figures are
			// the streams' and not the last cycle's), and the goroutines.
			if !profiled && open == h.plan.Hold && h.opts.Profile != "" && t.pprof != "" {
				profiled = true
				base := filepath.Join(h.opts.Profile, strings.ReplaceAll(t.name, "+", "_")+"-hold")
				for url, path := range map[string]string{"heap?gc=1": base + ".heap.pprof", "heap?gc=1&debug=1": base + ".heap.txt", "goroutine?debug=1": base + ".goroutines.txt"} {
					if err := fetchProfile(ctx, "http://"+t.pprof+"/debug/pprof/"+url, path); err != nil {
						h.progress("streams %-30s hold profile %s: %v", t.name, url, err)
					}
				}
				if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", t.proc.pid())); err == nil {
					_ = os.WriteFile(base+".smaps", b, 0o644)
				}
			}
		}
		sp.Hold = h.streamRun(ctx, t, h.plan.Hold, h.plan.Held, sample)
		sp.HoldRSS = peak
		h.progress("streams %-30s hold %5d: RSS %6.1f MiB  %s", t.name, h.plan.Hold, mib(peak.RSSKiB), rungNote(sp.Hold))
	}
	climbing := slices.Clone(ts) // in the catalogue's order
	for i, n := range h.plan.Ladder {
		failed := map[*target]bool{}
		for j := range climbing {
			if ctx.Err() != nil {
				break
			}
			t := climbing[j]
			if i%2 == 1 {
				t = climbing[len(climbing)-1-j]
			}
			sp := phases[t]
			// The last run's connections go, and the processes get a
			// moment to collect what it left, before this one.
			h.streamClient.CloseIdleConnections()
			pause(ctx, h.plan.Settle/2)
			r := h.streamRun(ctx, t, n, h.plan.Paced, nil)
			sp.Ladder = append(sp.Ladder, r)
			h.progress("streams %-30s %5d open: %s", t.name, n, rungNote(r))
			if r.Pass {
				sp.MaxStreams = n
			} else {
				failed[t] = true
			}
		}
		climbing = slices.DeleteFunc(climbing, func(t *target) bool { return failed[t] })
	}
	for _, t := range ts {
		if ctx.Err() != nil {
			break
		}
		h.streamClient.CloseIdleConnections()
		pause(ctx, h.plan.Settle)
		after, err := procstat.ReadMemory(t.proc.pid())
		h.problem(err, "%s: reading memory", t.name)
		sp := phases[t]
		sp.After = after
		h.res.Streams = append(h.res.Streams, *sp)
	}
}

// restart replaces t's process with a fresh one (a direct target is the
// shared upstream, which stays), and waits for the settle pause.
func (h *harness) restart(ctx context.Context, t *target) error {
	if t.kind == kindDirect {
		return nil
	}
	t.proc.stop()
	inst, err := h.startTarget(ctx, t, "streams", nil)
	if err != nil {
		t.proc = nil
		return err
	}
	t.proc, t.addr, t.key, t.pprof = inst.proc, inst.addr, inst.key, inst.pprof
	pause(ctx, h.plan.Settle/2)
	return nil
}

// streamRun runs n streams of shape s against t and judges them.
func (h *harness) streamRun(ctx context.Context, t *target, n int, s upstream.Shape, tick func(int)) Rung {
	if !t.bedrock {
		h.upstreamLate(ctx) // reset the emulator's lateness count
	}
	m := newMeter(h.ticks, t.proc.pid(), h.up.pid(), h.redisPIDFor(t))
	spec := load.Streams{
		Count: n, Ramp: h.plan.Ramp, Framing: t.framing(), Chunks: s.Chunks, Stall: h.plan.Stall,
		Timeout: s.Delay + time.Duration(s.Chunks)*s.Gap + 30*time.Second, OnTick: tick, Tick: 50 * time.Millisecond,
	}
	res := load.RunStreams(ctx, h.streamClient, t.request(s), spec, m)
	h.problem(m.err, "%s streams: reading /proc", t.name)
	r := Rung{
		Streams: n, Shape: s.Name(), Completed: res.Completed, Errors: res.Errors, FirstError: res.FirstError,
		Chunks: res.Chunks, Stalled: res.Stalled, PeakOpen: res.PeakOpen,
		TTFT: res.TTFT.Summarize(), Gap: res.Gap.Summarize(),
		CPUPerStream: m.perOp(0, res.Completed), CPUPerChunk: m.perOp(0, res.Chunks),
		UpstreamLateMs: -1,
	}
	if !t.bedrock {
		r.UpstreamLateMs = h.upstreamLate(ctx)
	}
	r.Pass = res.Errors == 0 && res.Completed == int64(n) && res.Stalled == 0
	if h.plan.Smoke {
		h.check(res.Errors, res.FirstError, "%s %d streams", t.name, n)
		h.checkSome(res.Completed, "%s %d streams", t.name, n)
	}
	return r
}

// upstreamLate reads and resets the OpenAI emulator's worst chunk
// lateness, in ms (-1 when it cannot be read).
func (h *harness) upstreamLate(ctx context.Context) float64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.openaiAddr+"/stats", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var s upstream.Stats
	if json.NewDecoder(resp.Body).Decode(&s) != nil {
		return -1
	}
	return s.MaxLateMs
}

func rungNote(r Rung) string {
	status := "ok"
	if !r.Pass {
		status = "FAIL"
	}
	return sprintf("%s  %d/%d done  ttft p50 %6.2f ms  max gap %7.2f ms  stalled %d  %6.1f µs/stream  %5.2f µs/chunk  upstream late %.1f ms%s",
		status, r.Completed, r.Streams, r.TTFT.P50Ms, r.Gap.MaxMs, r.Stalled, r.CPUPerStream, r.CPUPerChunk, r.UpstreamLateMs,
		errNote(r.Errors, r.FirstError))
}

func mib(kib int64) float64 { return float64(kib) / 1024 }
