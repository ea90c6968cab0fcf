package harness

import "slices"

// Summary is one target's figures, ready for the table: medians of the
// rounds for the closed-loop loads, and the other phases' results.
type Summary struct {
	Target string `json:"target"`
	// Closed is per closed-loop load ("c16", "c64", "stream-c16").
	Closed map[string]ClosedSummary `json:"closed"`
	// MaxRate is the open loop's highest rate with p99 under the limit
	// (0: not measured or below the first step).
	MaxRate    float64 `json:"max_rate,omitempty"`
	OpenLoop   bool    `json:"open_loop"`
	LowRateP50 float64 `json:"low_rate_p50_ms,omitempty"`
	LowRateP99 float64 `json:"low_rate_p99_ms,omitempty"`
	// LowRateCPU is the target's CPU µs per request at the first step.
	LowRateCPU float64 `json:"low_rate_cpu_us,omitempty"`
	// Stream figures (Streams is false when the target had none).
	Streams bool `json:"streams"`
	// PacedAt is the rung the paced figures come from.
	PacedAt           int     `json:"paced_at,omitempty"`
	PacedCPUPerStream float64 `json:"paced_cpu_us_per_stream,omitempty"`
	PacedCPUPerChunk  float64 `json:"paced_cpu_us_per_chunk,omitempty"`
	// MarginalCPUPerChunk is what one more chunk costs: the hold's
	// longer streams against the rung nearest its size.
	MarginalCPUPerChunk float64 `json:"marginal_cpu_us_per_chunk,omitempty"`
	TTFTP50             float64 `json:"ttft_p50_ms,omitempty"`
	AddedTTFTP50        float64 `json:"added_ttft_p50_ms,omitempty"`
	MaxStreams          int     `json:"max_streams,omitempty"`
	// Memory, MiB.
	IdleRSS  float64 `json:"idle_rss_mib"`
	HoldRSS  float64 `json:"hold_rss_mib,omitempty"`
	AfterRSS float64 `json:"after_rss_mib,omitempty"`
	// Goroutines of a fresh probed instance (-1: not probed).
	GoroutinesIdle  int `json:"goroutines_idle"`
	GoroutinesPeak  int `json:"goroutines_peak"`
	GoroutinesAfter int `json:"goroutines_after"`
}

// ClosedSummary is a closed-loop load's figures, medians of the rounds.
type ClosedSummary struct {
	CPU  float64 `json:"cpu_us_per_req"`
	Rate float64 `json:"rate"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	// AddedP50 and AddedP99 are over the baseline (direct) target, in
	// the same round.
	AddedP50 float64 `json:"added_p50_ms"`
	AddedP99 float64 `json:"added_p99_ms"`
	// Generator is the load generator's own CPU µs per request.
	Generator float64 `json:"generator_cpu_us_per_req"`
	// Redis is the Redis server's CPU µs per request, for a target that
	// keeps its limits there (0: not measured).
	Redis  float64 `json:"redis_cpu_us_per_req,omitempty"`
	Errors int64   `json:"errors"`
}

// median of xs; 0 when empty (JSON has no NaN).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarize(r *Results, targets []*target) []Summary {
	type key struct {
		target, load string
		round        int
	}
	byKey := map[key]Window{}
	for _, w := range r.Windows {
		byKey[key{w.Target, w.Load, w.Round}] = w
	}
	var out []Summary
	for _, t := range targets {
		s := Summary{Target: t.name, Closed: map[string]ClosedSummary{}, GoroutinesIdle: -1, GoroutinesPeak: -1, GoroutinesAfter: -1}
		var loads []string
		for _, w := range r.Windows {
			if w.Target == t.name && !slices.Contains(loads, w.Load) {
				loads = append(loads, w.Load)
			}
		}
		for _, l := range loads {
			var cpu, rate, p50, p99, a50, a99, gen, rds []float64
			var errs int64
			for round := 1; round <= r.Plan.Rounds; round++ {
				w, ok := byKey[key{t.name, l, round}]
				if !ok {
					continue
				}
				cpu, rate, gen = append(cpu, w.CPU.Target), append(rate, w.Rate), append(gen, w.CPU.Generator)
				if w.CPU.Redis > 0 {
					rds = append(rds, w.CPU.Redis)
				}
				p50, p99 = append(p50, w.Latency.P50Ms), append(p99, w.Latency.P99Ms)
				errs += w.Errors
				if b, ok := byKey[key{t.baseline(), l, round}]; ok {
					a50 = append(a50, w.Latency.P50Ms-b.Latency.P50Ms)
					a99 = append(a99, w.Latency.P99Ms-b.Latency.P99Ms)
				}
			}
			s.Closed[l] = ClosedSummary{
				CPU: median(cpu), Rate: median(rate), P50: median(p50), P99: median(p99),
				AddedP50: median(a50), AddedP99: median(a99), Generator: median(gen), Redis: median(rds), Errors: errs,
			}
		}
		s.openLoop(r)
		s.streams(r, t)
		if m, ok := r.Idle[t.name]; ok {
			s.IdleRSS = mib(m.RSSKiB)
		}
		for _, p := range r.Probes {
			if p.Target == t.name {
				s.GoroutinesIdle, s.GoroutinesPeak, s.GoroutinesAfter = p.Idle, p.Peak, p.After
			}
		}
		out = append(out, s)
	}
	return out
}

func (s *Summary) openLoop(r *Results) {
	for _, ol := range r.OpenLoop {
		if ol.Target != s.Target {
			continue
		}
		s.OpenLoop, s.MaxRate = true, ol.MaxRate
		if len(ol.Steps) > 0 {
			st := ol.Steps[0]
			s.LowRateP50, s.LowRateP99, s.LowRateCPU = st.Latency.P50Ms, st.Latency.P99Ms, st.CPU.Target
		}
	}
}

// streams fills the stream figures: the paced ones from the rung
// nearest 512 streams, TTFT from the first rung, compared with the
// baseline's.
func (s *Summary) streams(r *Results, t *target) {
	find := func(name string) *StreamPhase {
		for i := range r.Streams {
			if r.Streams[i].Target == name {
				return &r.Streams[i]
			}
		}
		return nil
	}
	sp := find(t.name)
	if sp == nil || len(sp.Ladder) == 0 {
		return
	}
	s.Streams, s.MaxStreams = true, sp.MaxStreams
	s.HoldRSS, s.AfterRSS = mib(sp.HoldRSS.RSSKiB), mib(sp.After.RSSKiB)
	paced := nearest(sp.Ladder, 512)
	s.PacedAt, s.PacedCPUPerStream, s.PacedCPUPerChunk = paced.Streams, paced.CPUPerStream, paced.CPUPerChunk
	if near := nearest(sp.Ladder, sp.Hold.Streams); sp.Hold.Completed > 0 && near.Completed > 0 {
		held, per := float64(sp.Hold.Chunks)/float64(sp.Hold.Completed), float64(near.Chunks)/float64(near.Completed)
		if held > per {
			s.MarginalCPUPerChunk = (sp.Hold.CPUPerStream - near.CPUPerStream) / (held - per)
		}
	}
	s.TTFTP50 = sp.Ladder[0].TTFT.P50Ms
	if b := find(t.baseline()); b != nil && len(b.Ladder) > 0 {
		s.AddedTTFTP50 = s.TTFTP50 - b.Ladder[0].TTFT.P50Ms
	}
}

// nearest is the rung whose size is closest to n.
func nearest(l []Rung, n int) Rung {
	best := l[0]
	for _, r := range l[1:] {
		if abs(r.Streams-n) < abs(best.Streams-n) {
			best = r
		}
	}
	return best
}

func abs(x int) int { return max(x, -x) }
