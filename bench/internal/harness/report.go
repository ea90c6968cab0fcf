package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Files written to the results directory.
const (
	resultsJSON = "results.json"
	reportMD    = "benchmarks.md"
	chartPNG    = "benchmarks.png"
)

// writeResults writes the JSON, the markdown and the chart to dir and
// returns their paths.
func writeResults(dir string, r *Results) ([]string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var png bytes.Buffer
	if err := drawChart(&png, r); err != nil {
		return nil, err
	}
	files := map[string][]byte{resultsJSON: append(js, '\n'), reportMD: []byte(markdown(r)), chartPNG: png.Bytes()}
	var paths []string
	for _, name := range []string{reportMD, chartPNG, resultsJSON} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil { //nolint:gosec // results are for reading
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// report builds the markdown.
type report struct {
	strings.Builder
	r     *Results
	floor *Summary
}

func markdown(r *Results) string {
	rp := &report{r: r}
	for i := range r.Summary {
		if r.Summary[i].Target == fastFloor {
			rp.floor = &r.Summary[i]
		}
	}
	rp.header()
	rp.closedTable()
	rp.redisTable()
	rp.openTable()
	rp.streamTable()
	rp.allocTable()
	rp.memoryTable()
	rp.generator()
	rp.footer()
	return rp.String()
}

func (rp *report) f(format string, args ...any) { fmt.Fprintf(rp, format, args...) }

// cell is v with its ratio to the floor's figure (when there is one).
func (rp *report) cell(v float64, decimals int, floor func(*Summary) float64) string {
	s := num(v, decimals)
	if rp.floor == nil || floor == nil {
		return s
	}
	fv := floor(rp.floor)
	if math.Abs(fv) < 1e-3 || math.IsNaN(fv) {
		return s
	}
	return fmt.Sprintf("%s (×%.2f)", s, v/fv)
}

func num(v float64, decimals int) string {
	if decimals == 0 {
		return thousands(int64(math.Round(v)))
	}
	return fmt.Sprintf("%.*f", decimals, v)
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func (rp *report) header() {
	r, m, p := rp.r, rp.r.Machine, rp.r.Plan
	rp.f("# Benchmarks\n\n")
	if p.Smoke {
		rp.f("**Smoke run**: tiny loads that only check that every target works; these figures mean nothing.\n\n")
	}
	rp.f("What Outcrop adds to a direct call, against two bare-proxy floors. Measured with `go run ./bench/cmd/harness` ")
	rp.f("(see [bench/README.md](../bench/README.md)) on %s, in %.0f s.\n\n", r.Started, r.Seconds)
	rp.f("**Machine:** %s, %d cores, %.1f GiB, %s, %s; load average %s when the run started. ", m.CPU, m.Cores, m.MemoryGiB, m.Kernel, m.Go, m.LoadAverage)
	rp.f("The generator, the upstream emulator and the target share these cores.\n\n")
	rp.f("**Method.** Every target is a process of its own (Outcrop built once with `go build`). ")
	rp.f("*CPU µs per request* is the target process's utime+stime (`/proc/PID/stat`, %d ticks a second) over the measured window divided by the requests completed in it. ", m.ClockTicks)
	rp.f("Closed-loop windows are %v after a %v warm-up, run in %d interleaved round(s) (every target, then again) so that the machine's drift hits all alike; figures are the medians of the rounds. ", p.Window, p.Warmup, p.Rounds)
	rp.f("*Added* latency is the target's minus its direct upstream's in the same round. ")
	rp.f("**×** is the ratio to the fasthttp floor. Request rates and tails swing between runs on a shared machine; CPU per request and ratios within one run are the robust figures.\n\n")
	rp.f("| target | what it is | compared with |\n|---|---|---|\n")
	for _, t := range r.Targets {
		rp.f("| `%s` | %s | `%s` |\n", t.Name, t.About, t.Baseline)
	}
	rp.f("\n")
}

func (rp *report) closedTable() {
	p := rp.r.Plan
	rp.f("## Request/response, upstream answering at once\n\n")
	rp.f("A small chat completion (%d-byte answer from the OpenAI emulator; Converse for Bedrock), closed loop.\n\n", 287)
	head := "| target |"
	sep := "|---|"
	for _, c := range p.Concurrency {
		head += fmt.Sprintf(" CPU µs/req c=%d | req/s c=%d | added p50 / p99 ms c=%d |", c, c, c)
		sep += "---|---|---|"
	}
	rp.f("%s\n%s\n", head, sep)
	for _, s := range rp.r.Summary {
		rp.f("| `%s` |", s.Target)
		for _, c := range p.Concurrency {
			l := fmt.Sprintf("c%d", c)
			cs, ok := s.Closed[l]
			if !ok {
				rp.f(" — | — | — |")
				continue
			}
			rp.f(" %s | %s | %s / %s |", rp.cell(cs.CPU, 1, closed(l, func(c ClosedSummary) float64 { return c.CPU })),
				rp.cell(cs.Rate, 0, closed(l, func(c ClosedSummary) float64 { return c.Rate })),
				num(cs.AddedP50, 2), num(cs.AddedP99, 2))
		}
		rp.f("\n")
	}
	rp.f("\n")
}

// redisTable is what a request of each +redis target cost the Redis
// server, which the target's own figure leaves out: the limits' scripts
// run there, on cores the target shares.
func (rp *report) redisTable() {
	if !rp.anyTarget(func(s *Summary) bool {
		for _, cs := range s.Closed {
			if cs.Redis > 0 {
				return true
			}
		}
		return false
	}) {
		return
	}
	p := rp.r.Plan
	rp.f("Redis's own CPU per request for the targets that keep their limits in it (the server's utime+stime over the same windows; not in the targets' figures above):\n\n")
	head, sep := "| target |", "|---|"
	for _, c := range p.Concurrency {
		head += fmt.Sprintf(" Redis CPU µs/req c=%d |", c)
		sep += "---|"
	}
	rp.f("%s\n%s\n", head, sep)
	for _, s := range rp.r.Summary {
		var cells string
		measured := false
		for _, c := range p.Concurrency {
			cs := s.Closed[fmt.Sprintf("c%d", c)]
			if cs.Redis > 0 {
				measured = true
				cells += " " + num(cs.Redis, 1) + " |"
			} else {
				cells += " — |"
			}
		}
		if measured {
			rp.f("| `%s` |%s\n", s.Target, cells)
		}
	}
	rp.f("\n")
}

// closed picks a closed-loop figure of the floor's summary.
func closed(load string, pick func(ClosedSummary) float64) func(*Summary) float64 {
	return func(s *Summary) float64 { return pick(s.Closed[load]) }
}

// anyTarget reports whether some target's summary has what has asks
// for: a table without rows is left out.
func (rp *report) anyTarget(has func(*Summary) bool) bool {
	for i := range rp.r.Summary {
		if has(&rp.r.Summary[i]) {
			return true
		}
	}
	return false
}

func (rp *report) openTable() {
	if !rp.anyTarget(func(s *Summary) bool { return s.OpenLoop }) {
		return
	}
	p := rp.r.Plan
	rp.f("## Against a 20 ms upstream, open loop\n\n")
	rp.f("Requests at a fixed rate, each timed from when it was due (no coordinated omission); the rate doubles from %s/s until a step has errors or p99 ≥ %v, then %d bisection steps. Each step is %v after a %v warm-up.\n\n",
		thousands(int64(p.OpenStart)), p.P99Limit, p.OpenRefine, p.OpenWindow, p.OpenWarmup)
	rp.f("| target | highest req/s with p99 < %v | p50 / p99 ms at %s req/s | CPU µs/req at %s req/s |\n|---|---|---|---|\n",
		p.P99Limit, thousands(int64(p.OpenStart)), thousands(int64(p.OpenStart)))
	for _, s := range rp.r.Summary {
		if !s.OpenLoop {
			continue
		}
		rate := rp.cell(s.MaxRate, 0, func(f *Summary) float64 { return f.MaxRate })
		if s.MaxRate == 0 {
			rate = fmt.Sprintf("< %s", thousands(int64(p.OpenStart)))
		}
		if s.MaxRate >= p.OpenMax {
			rate = "≥ " + rate
		}
		rp.f("| `%s` | %s | %s / %s | %s |\n", s.Target, rate, num(s.LowRateP50, 2), num(s.LowRateP99, 2),
			rp.cell(s.LowRateCPU, 1, func(f *Summary) float64 { return f.LowRateCPU }))
	}
	rp.f("\n")
}

func (rp *report) streamTable() {
	p := rp.r.Plan
	burst := fmt.Sprintf("stream-c%d", p.BurstConcurrency)
	// A closed-phase run without the stream phase has the burst column.
	hasStreams := func(s *Summary) bool {
		_, ok := s.Closed[burst]
		return s.Streams || ok
	}
	if !rp.anyTarget(hasStreams) {
		return
	}
	rp.f("## Streams\n\n")
	rp.f("*Burst*: %d-chunk SSE streams with no gap, closed loop at c=%d. *Paced*: %d chunks %v apart, streams opened over %v; ",
		p.Burst.Chunks, p.BurstConcurrency, p.Paced.Chunks, p.Paced.Gap, p.Ramp)
	rp.f("a rung passes when every stream completes with no gap over %v between chunks (a stall); the ladder is %v, taken rung by rung by every target still climbing (in an order reversed at every rung), and stops at a target's first failure. ", p.Stall, p.Ladder)
	rp.f("*Marginal µs/chunk* compares the %d-chunk hold with the %d-chunk rung nearest its size. TTFT is from the stream's due start to its first content chunk, at the first rung.\n\n", p.Held.Chunks, p.Paced.Chunks)
	rp.f("| target | CPU µs/burst stream | CPU µs/paced stream | CPU µs/chunk (paced) | marginal µs/chunk | TTFT p50 ms | added TTFT p50 ms | most streams without a stall |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range rp.r.Summary {
		if !hasStreams(&s) {
			continue
		}
		b := s.Closed[burst]
		burstCell := rp.cell(b.CPU, 1, closed(burst, func(c ClosedSummary) float64 { return c.CPU }))
		if !s.Streams { // the closed phase ran, the stream phase did not
			rp.f("| `%s` | %s | — | — | — | — | — | — |\n", s.Target, burstCell)
			continue
		}
		rp.f("| `%s` | %s | %s (%d open) | %s | %s | %s | %s | %s |\n", s.Target, burstCell,
			rp.cell(s.PacedCPUPerStream, 1, func(f *Summary) float64 { return f.PacedCPUPerStream }), s.PacedAt,
			rp.cell(s.PacedCPUPerChunk, 2, func(f *Summary) float64 { return f.PacedCPUPerChunk }),
			num(s.MarginalCPUPerChunk, 2), num(s.TTFTP50, 2), num(s.AddedTTFTP50, 2),
			rp.cell(float64(s.MaxStreams), 0, func(f *Summary) float64 { return float64(f.MaxStreams) }))
	}
	rp.f("\n")
}

// allocTable lists the heap allocations of the windows that have them
// (a -profile run's first round), per request, per stream, and per chunk
// of a burst stream beyond what a request allocates.
func (rp *report) allocTable() {
	perReq := map[string]*Allocs{} // target: its c16 window's
	var rows []Window
	for _, w := range rp.r.Windows {
		if w.Allocs == nil {
			continue
		}
		rows = append(rows, w)
		if w.Concurrency == rp.r.Plan.BurstConcurrency && !strings.HasPrefix(w.Load, "stream") {
			perReq[w.Target] = w.Allocs
		}
	}
	if len(rows) == 0 {
		return
	}
	chunks := rp.r.Plan.Burst.Chunks
	rp.f("## Allocations\n\n")
	rp.f("Heap allocations of the Go runtime (`MemStats.Mallocs`, `TotalAlloc`) over the first round's closed-loop windows, read through the profiler, ")
	rp.f("per request (per stream for stream loads); *per chunk* is a %d-chunk burst stream's allocation beyond a request's at c=%d, divided by %d.\n\n", chunks, rp.r.Plan.BurstConcurrency, chunks)
	rp.f("| target | load | objects | bytes | objects per chunk | bytes per chunk |\n|---|---|---|---|---|---|\n")
	for _, w := range rows {
		oc, bc := "—", "—"
		if q := perReq[w.Target]; q != nil && strings.HasPrefix(w.Load, "stream") && chunks > 0 {
			oc = num((w.Allocs.ObjectsPerRequest-q.ObjectsPerRequest)/float64(chunks), 1)
			bc = num((w.Allocs.BytesPerRequest-q.BytesPerRequest)/float64(chunks), 0)
		}
		rp.f("| `%s` | %s | %s | %s | %s | %s |\n", w.Target, w.Load, num(w.Allocs.ObjectsPerRequest, 0), num(w.Allocs.BytesPerRequest, 0), oc, bc)
	}
	rp.f("\n")
}

func (rp *report) memoryTable() {
	if !rp.anyTarget(func(s *Summary) bool { return s.IdleRSS > 0 }) {
		return
	}
	p := rp.r.Plan
	rp.f("## Memory and goroutines\n\n")
	rp.f("RSS (`VmRSS` of `/proc/PID/status`) at start, the most while %d paced streams were open, and %v after the load ended. ", p.Hold, p.Settle)
	rp.f("Goroutines: Outcrop serves no pprof endpoint, so a fresh instance of each proxy is started with `GODEBUG=schedtrace=%d,scheddetail=1` ", p.ProbePeriodMs)
	rp.f("and the live goroutines of its scheduler dumps are counted at idle, under %d open streams, and after the load (waiting up to a few seconds for the idle count). The direct rows are the upstream process, which serves both emulators.\n\n", p.Hold)
	rp.f("| target | idle RSS MiB | RSS MiB, %d streams | RSS MiB after | goroutines idle / %d streams / after |\n|---|---|---|---|---|\n", p.Hold, p.Hold)
	for _, s := range rp.r.Summary {
		g := "—"
		if s.GoroutinesIdle >= 0 {
			g = fmt.Sprintf("%d / %d / %d", s.GoroutinesIdle, s.GoroutinesPeak, s.GoroutinesAfter)
			for _, pr := range rp.r.Probes {
				if pr.Target == s.Target {
					g += fmt.Sprintf(" (%.1f s after)", pr.AfterSeconds)
				}
			}
		}
		hold, after := "—", "—"
		if s.Streams {
			hold = rp.cell(s.HoldRSS, 1, func(f *Summary) float64 { return f.HoldRSS })
			after = rp.cell(s.AfterRSS, 1, func(f *Summary) float64 { return f.AfterRSS })
		}
		rp.f("| `%s` | %s | %s | %s | %s |\n", s.Target, rp.cell(s.IdleRSS, 1, func(f *Summary) float64 { return f.IdleRSS }), hold, after, g)
	}
	rp.f("\n")
}

func (rp *report) generator() {
	rp.f("## The load generator\n\n")
	rp.f("Request/response load goes through fasthttp's client (it costs the shared cores about half of net/http's per request); streams through net/http's, whose reads return each chunk as it arrives. ")
	rp.f("Its own CPU per request, median over targets and rounds:")
	for _, c := range rp.r.Plan.Concurrency {
		var g []float64
		for _, s := range rp.r.Summary {
			if cs, ok := s.Closed[fmt.Sprintf("c%d", c)]; ok {
				g = append(g, cs.Generator)
			}
		}
		rp.f(" %.1f µs at c=%d;", median(g), c)
	}
	rp.f(" the upstream emulator's is in `results.json`.\n\n")
}

func (rp *report) footer() {
	rp.f("## Chart\n\n![CPU per request, request rate, and p99 latency against the offered rate](%s)\n\n", chartPNG)
	rp.f("From the top: CPU µs per request and request rate per target (one bar per concurrency); p99 latency against the offered open-loop rate against the 20 ms upstream (the dashed line is the %v limit; points above the chart are drawn at its top).\n\n", rp.r.Plan.P99Limit)
	if len(rp.r.Problems) > 0 {
		rp.f("## Problems seen during the run\n\n")
		for _, p := range rp.r.Problems {
			rp.f("- %s\n", p)
		}
		rp.f("\n")
	}
	if len(rp.r.Notes) > 0 {
		rp.f("## Notes\n\n")
		for _, n := range rp.r.Notes {
			rp.f("- %s\n", n)
		}
		rp.f("\n")
	}
	rp.f("Raw figures, every window and step: [`%s`](%s).\n", resultsJSON, resultsJSON)
}

// render rewrites the markdown and the chart of the results.json in
// dir into out, after a change to how they are drawn.
func render(dir, out string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, resultsJSON))
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", resultsJSON, err)
	}
	return writeResults(out, &r)
}
