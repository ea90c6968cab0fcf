package harness

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/outcrop/outcrop/bench/internal/chart"
)

// drawChart draws the figure of benchmarks.md: CPU per request and
// request rate per target, then p99 latency against the offered rate.
func drawChart(w io.Writer, r *Results) error {
	var series []string
	var loads []string
	for _, c := range r.Plan.Concurrency {
		series = append(series, fmt.Sprintf("c=%d", c))
		loads = append(loads, fmt.Sprintf("c%d", c))
	}
	cpu := chart.Bars{Title: "CPU µs per request of the target process (upstream answering at once)", Series: series}
	rate := chart.Bars{Title: "Requests per second, closed loop", Series: series}
	for _, s := range r.Summary {
		cpu.Labels, rate.Labels = append(cpu.Labels, s.Target), append(rate.Labels, s.Target)
		var cv, rv []float64
		for _, l := range loads {
			cs, ok := s.Closed[l]
			if !ok {
				cv, rv = append(cv, -1), append(rv, -1)
				continue
			}
			cv, rv = append(cv, cs.CPU), append(rv, cs.Rate)
		}
		cpu.Values, rate.Values = append(cpu.Values, cv), append(rate.Values, rv)
	}
	limit := float64(r.Plan.P99Limit) / 1e6
	lat := chart.Lines{
		Title:  "p99 latency against offered rate, 20 ms upstream, open loop",
		XLabel: "offered req/s", YLabel: "p99 ms", YMax: 4 * limit, Limit: limit,
	}
	for _, ol := range r.OpenLoop {
		ln := chart.Line{Name: ol.Target}
		for _, st := range sortedSteps(ol.Steps) {
			ln.Points = append(ln.Points, chart.Point{X: st.Offered, Y: st.Latency.P99Ms})
		}
		lat.Lines = append(lat.Lines, ln)
	}
	panels := []chart.Panel{cpu, rate}
	if len(lat.Lines) > 0 {
		panels = append(panels, lat)
	}
	return chart.Write(w, 1200, panels...)
}

// sortedSteps orders steps by offered rate (bisection steps come last
// in a run).
func sortedSteps(steps []Step) []Step {
	s := slices.Clone(steps)
	slices.SortFunc(s, func(a, b Step) int { return cmp.Compare(a.Offered, b.Offered) })
	return s
}
