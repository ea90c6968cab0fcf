package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/bench/internal/load"
	"github.com/outcrop/outcrop/bench/internal/upstream"
)

// closedLoad is one closed-loop measurement of a round.
type closedLoad struct {
	name        string
	concurrency int
	shape       upstream.Shape
}

// closedLoads are the windows each target gets per round.
func (h *harness) closedLoads(t *target) []closedLoad {
	var l []closedLoad
	for _, c := range h.plan.Concurrency {
		l = append(l, closedLoad{name: fmt.Sprintf("c%d", c), concurrency: c, shape: h.plan.Chat})
	}
	if t.streams {
		c := h.plan.BurstConcurrency
		l = append(l, closedLoad{name: fmt.Sprintf("stream-c%d", c), concurrency: c, shape: h.plan.Burst})
	}
	return l
}

// client is the target's fasthttp client, kept across rounds so that
// its connections stay warm.
func (h *harness) client(t *target) *fasthttp.HostClient {
	if c, ok := h.clients[t.name]; ok {
		return c
	}
	most := 1
	for _, c := range h.plan.Concurrency {
		most = max(most, c)
	}
	c := load.NewClient(t.addr, max(most, h.plan.BurstConcurrency))
	h.clients[t.name] = c
	return c
}

// rounds runs the closed-loop windows: every target in turn, then again,
// Rounds times, so that the machine's drift hits every target alike.
func (h *harness) rounds(ctx context.Context) {
	for r := 1; r <= h.plan.Rounds; r++ {
		for _, t := range h.targets {
			for _, cl := range h.closedLoads(t) {
				if ctx.Err() != nil {
					return
				}
				w := h.closedWindow(ctx, t, cl, r)
				h.res.Windows = append(h.res.Windows, w)
				h.progress("round %d/%d %-30s %-10s %8.0f req/s  %6.1f µs/req  p50 %6.2f ms  p99 %6.2f ms%s",
					r, h.plan.Rounds, t.name, cl.name, w.Rate, w.CPU.Target, w.Latency.P50Ms, w.Latency.P99Ms, errNote(w.Errors, w.FirstError))
			}
		}
	}
}

func (h *harness) closedWindow(ctx context.Context, t *target, cl closedLoad, round int) Window {
	m := newMeter(h.ticks, t.proc.pid(), h.up.pid(), h.redisPIDFor(t))
	spec := load.Closed{Concurrency: cl.concurrency, Warmup: h.plan.Warmup, Window: h.plan.Window}
	wait := func() *memGrowth { return nil }
	if round == 1 {
		wait = h.captureProfiles(ctx, t, cl)
	}
	res := load.RunClosed(ctx, h.client(t), t.request(cl.shape), spec, m)
	grown := wait()
	h.problem(m.err, "%s %s: reading /proc", t.name, cl.name)
	h.check(res.Errors, res.FirstError, "%s %s round %d", t.name, cl.name, round)
	h.checkSome(res.Requests, "%s %s round %d", t.name, cl.name, round)
	var allocs *Allocs
	if grown != nil && res.Requests > 0 {
		// The counters span the profile's whole seconds, the window its
		// measured part: per request at the window's rate.
		n := res.Rate() * float64(h.profileSeconds())
		allocs = &Allocs{ObjectsPerRequest: float64(grown.Mallocs) / n, BytesPerRequest: float64(grown.Bytes) / n}
	}
	return Window{
		Allocs: allocs,
		Target: t.name, Round: round, Load: cl.name, Concurrency: cl.concurrency, Shape: cl.shape.Name(),
		Requests: res.Requests, Errors: res.Errors, FirstError: res.FirstError,
		Seconds: res.Window.Seconds(), Rate: res.Rate(), Latency: res.Latency.Summarize(),
		CPU: m.usage(res.Requests, res.Window),
	}
}

func errNote(n int64, first string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  %d ERRORS: %.120s", n, first)
}

// pause lets a target's connections and timers settle between phases.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
