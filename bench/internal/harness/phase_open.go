package harness

import (
	"context"
	"math"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/bench/internal/load"
)

// openLoop finds, for each open-loop target, the highest request rate
// whose p99 stays under Plan.P99Limit against the slow (20 ms) upstream:
// the rate doubles from OpenStart until a step fails, then OpenRefine
// bisection steps narrow the gap.
func (h *harness) openLoop(ctx context.Context) {
	for _, t := range h.targets {
		if !t.open || ctx.Err() != nil {
			continue
		}
		c := load.NewClient(t.addr, h.plan.OpenWorkers)
		ol := OpenLoop{Target: t.name, Shape: h.plan.Slow.Name()}
		pass, fail := 0.0, 0.0
		for rate := h.plan.OpenStart; rate <= h.plan.OpenMax && ctx.Err() == nil; rate *= 2 {
			st := h.openStep(ctx, t, c, rate)
			ol.Steps = append(ol.Steps, st)
			if !st.Pass {
				fail = rate
				break
			}
			pass = rate
		}
		for range h.plan.OpenRefine {
			if fail == 0 || pass == 0 || ctx.Err() != nil {
				break
			}
			rate := math.Round((pass+fail)/2/100) * 100
			if rate <= pass || rate >= fail {
				break
			}
			st := h.openStep(ctx, t, c, rate)
			ol.Steps = append(ol.Steps, st)
			if st.Pass {
				pass = rate
			} else {
				fail = rate
			}
		}
		ol.MaxRate = pass
		c.CloseIdleConnections()
		h.res.OpenLoop = append(h.res.OpenLoop, ol)
		h.progress("open loop %-30s max %6.0f req/s with p99 < %v", t.name, pass, h.plan.P99Limit)
	}
}

func (h *harness) openStep(ctx context.Context, t *target, c *fasthttp.HostClient, rate float64) Step {
	m := newMeter(h.ticks, t.proc.pid(), h.up.pid(), h.redisPIDFor(t))
	spec := load.Open{
		Rate: rate, Warmup: h.plan.OpenWarmup, Window: h.plan.OpenWindow,
		MaxWorkers: h.plan.OpenWorkers, Drain: 5 * time.Second,
	}
	res := load.RunOpen(ctx, c, t.request(h.plan.Slow), spec, m)
	due := rate * res.Window.Seconds()
	st := Step{
		Offered: rate, Achieved: res.Rate(), Requests: res.Requests, Errors: res.Errors, FirstError: res.FirstError,
		Latency: res.Latency.Summarize(), CPU: m.usage(res.Requests, res.Window),
	}
	st.Pass = res.Errors == 0 && res.Requests > 0 && float64(res.Requests) >= 0.97*due &&
		st.Latency.P99Ms < float64(h.plan.P99Limit)/1e6
	if h.plan.Smoke {
		h.check(res.Errors, res.FirstError, "%s open loop %.0f/s", t.name, rate)
		h.checkSome(res.Requests, "%s open loop %.0f/s", t.name, rate)
	}
	h.progress("open loop %-30s %6.0f req/s offered  %6.0f achieved  p50 %6.2f ms  p99 %7.2f ms  %5.1f µs/req%s",
		t.name, rate, st.Achieved, st.Latency.P50Ms, st.Latency.P99Ms, st.CPU.Target, errNote(res.Errors, res.FirstError))
	return st
}
