package harness

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/outcrop/outcrop/bench/internal/upstream"
)

// Options are the harness's flags, as plain data; Validate checks them.
type Options struct {
	// Smoke runs every target for about a second with tiny loads and
	// checks only that everything works.
	Smoke bool
	// Rounds is the number of interleaved rounds of the closed-loop
	// windows (A B C A B C ...). Default 3; smoke 1.
	Rounds int
	// Window is each closed-loop measured window. Default 3s.
	Window time.Duration
	// Warmup precedes each window, unmeasured. Default 500ms.
	Warmup time.Duration
	// Step is each open-loop rate step's measured window. Default 2s.
	Step time.Duration
	// Out is the directory the results are written to. Default
	// bench/results of the module; smoke: a temporary directory.
	Out string
	// Targets restricts the run to these target names (comma-separated);
	// empty runs every target.
	Targets string
	// RedisURL is the Redis of the +redis targets. Default $REDIS_URL,
	// else redis://127.0.0.1:6379.
	RedisURL string
	// RequireRedis fails the run when Redis cannot be reached, instead of
	// skipping the +redis targets.
	RequireRedis bool
	// Keep keeps the work directory (binaries, configs, logs).
	Keep bool
	// Bin is a directory holding the programs already built (outcrop,
	// upstream, fastproxy, stdproxy), used instead of building them.
	Bin string
	// Phases restricts the run to these phases (comma-separated, of
	// closed, open, streams, probe); empty runs them all. A partial run
	// writes its results to a temporary directory unless Out is set.
	Phases string
	// Profile, when set, is a directory that gets profiles of every
	// Outcrop target's first-round closed-loop windows: CPU, and the
	// allocations, mutex contention and blocking during the window
	// (pprof deltas), through server.pprof_addr. The profiler's sampling
	// costs CPU, so such a run's figures are not comparable; its results
	// go to a temporary directory unless Out is set.
	Profile string
	// Before, when set, is another Outcrop binary (an earlier commit's
	// build): every Outcrop target gets a twin, NAME@before, running it,
	// interleaved with the rest, for a before/after comparison. Such a
	// run's results go to a temporary directory unless Out is set.
	Before string
	// Render, when set, runs nothing: it rewrites benchmarks.md and the
	// chart from the results.json in this directory (into Out, default
	// the same directory).
	Render string
}

// parseOptions reads the flags; -h prints the usage and returns
// flag.ErrHelp.
func parseOptions(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("harness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.BoolVar(&o.Smoke, "smoke", false, "run every target for about a second with tiny loads; check only that it works")
	fs.IntVar(&o.Rounds, "rounds", 0, "interleaved rounds of the closed-loop windows (default 3, smoke 1)")
	fs.DurationVar(&o.Window, "window", 0, "closed-loop measured window (default 3s)")
	fs.DurationVar(&o.Warmup, "warmup", 0, "unmeasured warm-up before each window (default 500ms)")
	fs.DurationVar(&o.Step, "step", 0, "open-loop rate step window (default 2s)")
	fs.StringVar(&o.Out, "out", "", "results directory (default bench/results; smoke: a temporary directory)")
	fs.StringVar(&o.Targets, "targets", "", "comma-separated target names to run (default all: "+strings.Join(targetNames(), ",")+")")
	fs.StringVar(&o.RedisURL, "redis", "", "Redis URL of the +redis targets (default $REDIS_URL, else redis://127.0.0.1:6379)")
	fs.BoolVar(&o.RequireRedis, "require-redis", false, "fail when Redis cannot be reached instead of skipping the +redis targets")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory (binaries, configurations, logs)")
	fs.StringVar(&o.Before, "before", "", "also run every Outcrop target on this outcrop binary (NAME@before), interleaved, for a before/after comparison")
	fs.StringVar(&o.Render, "render", "", "run nothing: rewrite benchmarks.md and the chart from DIR/results.json")
	fs.StringVar(&o.Phases, "phases", "", "comma-separated phases to run (default all: "+strings.Join(allPhases, ",")+")")
	fs.StringVar(&o.Profile, "profile", "", "write CPU, allocation, mutex and block profiles of the Outcrop targets' first-round closed-loop windows to DIR")
	fs.StringVar(&o.Bin, "bin", "", "use the programs already built in this directory instead of building them")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench/cmd/harness [flags]\n\nMeasures what Outcrop adds to a direct upstream call, against two bare-proxy floors.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.defaults()
	if o.Before != "" {
		if abs, err := filepath.Abs(o.Before); err == nil {
			o.Before = abs
		}
	}
	return o, o.Validate()
}

// defaults fills the zero fields.
func (o *Options) defaults() {
	def := func(d *time.Duration, full, smoke time.Duration) {
		if *d == 0 {
			*d = full
			if o.Smoke {
				*d = smoke
			}
		}
	}
	if o.Rounds == 0 {
		o.Rounds = 3
		if o.Smoke {
			o.Rounds = 1
		}
	}
	def(&o.Window, 3*time.Second, 300*time.Millisecond)
	def(&o.Warmup, 500*time.Millisecond, 100*time.Millisecond)
	def(&o.Step, 2*time.Second, 300*time.Millisecond)
	if o.RedisURL == "" {
		o.RedisURL = os.Getenv("REDIS_URL")
	}
	if o.RedisURL == "" {
		o.RedisURL = "redis://127.0.0.1:6379"
	}
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Rounds < 1 {
		errs = append(errs, fmt.Errorf("-rounds %d: want 1 or more", o.Rounds))
	}
	for name, d := range map[string]time.Duration{"-window": o.Window, "-step": o.Step} {
		if d < 10*time.Millisecond {
			errs = append(errs, fmt.Errorf("%s %v: want at least 10ms", name, d))
		}
	}
	if o.Warmup < 0 {
		errs = append(errs, fmt.Errorf("-warmup %v: want 0 or more", o.Warmup))
	}
	known := map[string]bool{}
	for _, n := range targetNames() {
		known[n] = true
	}
	for _, n := range o.targetList() {
		if !known[n] {
			errs = append(errs, fmt.Errorf("-targets: unknown target %q (want some of %s)", n, strings.Join(targetNames(), ", ")))
		}
	}
	if o.Before != "" {
		if fi, err := os.Stat(o.Before); err != nil {
			errs = append(errs, fmt.Errorf("-before: %w", err))
		} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
			errs = append(errs, fmt.Errorf("-before %s: not an executable file", o.Before))
		}
	}
	for _, p := range list(o.Phases) {
		if !slices.Contains(allPhases, p) {
			errs = append(errs, fmt.Errorf("-phases: unknown phase %q (want some of %s)", p, strings.Join(allPhases, ", ")))
		}
	}
	return errors.Join(errs...)
}

// The phases of a run, in the order they run.
const (
	phaseClosed  = "closed"
	phaseOpen    = "open"
	phaseStreams = "streams"
	phaseProbe   = "probe"
)

var allPhases = []string{phaseClosed, phaseOpen, phaseStreams, phaseProbe}

// runs reports whether the run includes phase.
func (o Options) runs(phase string) bool {
	l := list(o.Phases)
	return len(l) == 0 || slices.Contains(l, phase)
}

// partial: the run's figures are incomplete or skewed, so they must not
// replace bench/results.
func (o Options) partial() bool { return o.Phases != "" || o.Profile != "" || o.Before != "" }

func (o Options) targetList() []string { return list(o.Targets) }

// list splits a comma-separated flag value, dropping empty items.
func list(s string) []string {
	var l []string
	for n := range strings.SplitSeq(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			l = append(l, n)
		}
	}
	return l
}

// Plan is what a run does, derived from the options: the full run's
// sizes, or the smoke run's tiny ones.
type Plan struct {
	Smoke  bool          `json:"smoke"`
	Rounds int           `json:"rounds"`
	Warmup time.Duration `json:"warmup_ns"`
	Window time.Duration `json:"window_ns"`
	// Concurrency is the closed-loop client counts (16 and 64).
	Concurrency []int `json:"concurrency"`
	// BurstConcurrency is the closed-loop clients of the burst streams.
	BurstConcurrency int `json:"burst_concurrency"`

	Chat  upstream.Shape `json:"-"` // request/response, no delay
	Slow  upstream.Shape `json:"-"` // request/response after 20 ms
	Burst upstream.Shape `json:"-"` // stream, chunks back to back
	Paced upstream.Shape `json:"-"` // stream, chunks Gap apart (ladder)
	Held  upstream.Shape `json:"-"` // a longer paced stream (memory hold)

	OpenStart   float64       `json:"open_start_rps"`
	OpenMax     float64       `json:"open_max_rps"`
	OpenRefine  int           `json:"open_refine_steps"`
	OpenWarmup  time.Duration `json:"open_warmup_ns"`
	OpenWindow  time.Duration `json:"open_window_ns"`
	P99Limit    time.Duration `json:"p99_limit_ns"`
	OpenWorkers int           `json:"open_max_workers"`

	Ladder []int         `json:"ladder"`
	Hold   int           `json:"hold_streams"`
	Ramp   time.Duration `json:"ramp_ns"`
	Stall  time.Duration `json:"stall_ns"`
	Settle time.Duration `json:"settle_ns"`

	ProbePeriodMs int `json:"probe_period_ms"`
}

// plan turns the options into a Plan.
func (o Options) plan() Plan {
	ms := time.Millisecond
	p := Plan{
		Smoke: o.Smoke, Rounds: o.Rounds, Warmup: o.Warmup, Window: o.Window,
		Concurrency: []int{16, 64}, BurstConcurrency: 16,
		Chat:      upstream.Shape{},
		Slow:      upstream.Shape{Delay: 20 * ms},
		Burst:     upstream.Shape{Stream: true, Chunks: 20},
		Paced:     upstream.Shape{Stream: true, Chunks: 20, Gap: 50 * ms},
		Held:      upstream.Shape{Stream: true, Chunks: 40, Gap: 50 * ms},
		OpenStart: 1000, OpenMax: 32000, OpenRefine: 1,
		OpenWarmup: 500 * ms, OpenWindow: o.Step, P99Limit: 50 * ms, OpenWorkers: 2048,
		Ladder: []int{128, 256, 512, 1024, 2048}, Hold: 1000,
		Ramp: 500 * ms, Stall: 250 * ms, Settle: 2 * time.Second,
		ProbePeriodMs: 1000,
	}
	if o.Smoke {
		p.Concurrency, p.BurstConcurrency = []int{2}, 2
		p.Burst = upstream.Shape{Stream: true, Chunks: 5}
		p.Paced = upstream.Shape{Stream: true, Chunks: 5, Gap: 20 * ms}
		p.Held = upstream.Shape{Stream: true, Chunks: 8, Gap: 20 * ms}
		p.OpenStart, p.OpenMax, p.OpenRefine, p.OpenWarmup, p.OpenWorkers = 50, 100, 0, 100*ms, 64
		p.Ladder, p.Hold, p.Ramp, p.Settle = []int{4, 8}, 8, 50*ms, 300*ms
		p.ProbePeriodMs = 100
	}
	return p
}

// shapes is every shape the plan asks upstreams for.
func (p Plan) shapes() []upstream.Shape {
	return []upstream.Shape{p.Chat, p.Slow, p.Burst, p.Paced, p.Held}
}
