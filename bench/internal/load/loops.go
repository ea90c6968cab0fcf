package load

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/bench/internal/hist"
)

// Result is what one measured window saw.
type Result struct {
	// Requests is the number of successful requests counted in the
	// window: completed in it (closed loop) or due in it (open loop).
	Requests int64
	// Errors is the number of failed requests, warm-up included.
	Errors int64
	// FirstError describes the first failure.
	FirstError string
	// Window is the length of the measured window.
	Window time.Duration
	// Latency holds the successful requests' latencies, in nanoseconds.
	Latency *hist.Histogram
}

// Rate is the successful requests per second of the window.
func (r Result) Rate() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Window.Seconds()
}

// Closed is a closed-loop run: Concurrency clients, each sending its next
// request as soon as the last is answered, for Warmup and then the
// measured Window.
type Closed struct {
	Concurrency int
	Warmup      time.Duration
	Window      time.Duration
}

// RunClosed runs spec against c with req.
func RunClosed(ctx context.Context, c *fasthttp.HostClient, req Request, spec Closed, m Meter) Result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		on   atomic.Bool
		n    atomic.Int64
		fail failures
		wg   sync.WaitGroup
	)
	h := new(hist.Histogram)
	for range max(spec.Concurrency, 1) {
		wg.Go(func() {
			r, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(r)
			defer fasthttp.ReleaseResponse(resp)
			req.build(r)
			for ctx.Err() == nil {
				t0 := time.Now()
				err := req.check(c.Do(r, resp), resp)
				d := time.Since(t0)
				switch {
				case err != nil && ctx.Err() == nil:
					fail.add(err)
				case err == nil && on.Load():
					n.Add(1)
					h.RecordDuration(d)
				}
			}
		})
	}
	res := Result{Latency: h}
	if sleepCtx(ctx, spec.Warmup) {
		m.Begin()
		start := time.Now()
		on.Store(true)
		sleepCtx(ctx, spec.Window)
		on.Store(false)
		res.Window = time.Since(start)
		m.End()
	}
	cancel()
	wg.Wait()
	res.Requests, res.Errors, res.FirstError = n.Load(), fail.n.Load(), fail.first
	return res
}

// Open is an open-loop run: requests due at a fixed Rate (per second)
// for Warmup and then the measured Window, each timed from when it was
// due. Up to MaxWorkers are in flight at once; requests due while all
// are busy wait their turn, and the wait counts in their latency. A
// request not answered within Drain after the last one was due is an
// error.
type Open struct {
	Rate       float64
	Warmup     time.Duration
	Window     time.Duration
	MaxWorkers int
	Drain      time.Duration
}

// due is one scheduled request.
type due struct {
	at       time.Time
	measured bool
}

// RunOpen runs spec against c with req. c should allow MaxWorkers
// connections.
func RunOpen(ctx context.Context, c *fasthttp.HostClient, req Request, spec Open, m Meter) Result {
	total := spec.Warmup + spec.Window
	n := int(math.Ceil(spec.Rate * total.Seconds()))
	queue := make(chan due, n+1)
	workers := min(max(int(spec.Rate/10), 16), max(spec.MaxWorkers, 1)) // 100 ms of requests in flight
	start := time.Now()
	deadline := start.Add(total + spec.Drain)
	var (
		count atomic.Int64
		fail  failures
		wg    sync.WaitGroup
	)
	h := new(hist.Histogram)
	for range workers {
		wg.Go(func() {
			r, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(r)
			defer fasthttp.ReleaseResponse(resp)
			req.build(r)
			for d := range queue {
				var err error
				if time.Now().After(deadline) || ctx.Err() != nil {
					err = errLate
				} else {
					err = req.check(c.DoDeadline(r, resp, deadline), resp)
				}
				switch {
				case err != nil:
					fail.add(err)
				case d.measured:
					count.Add(1)
					h.RecordDuration(time.Since(d.at))
				}
			}
		})
	}
	window := schedule(ctx, queue, start, spec, n, m)
	close(queue)
	wg.Wait()
	return Result{Requests: count.Load(), Errors: fail.n.Load(), FirstError: fail.first, Window: window, Latency: h}
}

// schedule puts n requests on queue at their due times, a millisecond
// tick at a time (the latency of each still counts from its exact due
// time), calling m at the edges of the measured window, and returns the
// window's length.
func schedule(ctx context.Context, queue chan<- due, start time.Time, spec Open, n int, m Meter) time.Duration {
	interval := time.Duration(float64(time.Second) / spec.Rate)
	measureFrom := start.Add(spec.Warmup)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	begun := false
	for i := 0; i < n; {
		now := time.Now()
		for ; i < n; i++ {
			at := start.Add(time.Duration(i) * interval)
			if at.After(now) {
				break
			}
			if !begun && !at.Before(measureFrom) {
				m.Begin()
				begun = true
			}
			queue <- due{at: at, measured: !at.Before(measureFrom)}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return 0
		}
	}
	if !begun {
		return 0
	}
	// The last request was due an interval before the window's end.
	sleepCtx(ctx, time.Until(measureFrom.Add(spec.Window)))
	m.End()
	return time.Since(measureFrom)
}
