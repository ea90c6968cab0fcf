// Package harness is the benchmark harness of bench/cmd/harness: it
// builds Outcrop and the benchmark's programs, starts every target as a
// process of its own, drives them with the load generator in interleaved
// rounds, charges each process for its own CPU from /proc, and writes
// the results as JSON, markdown and a PNG chart.
package harness

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/bench/internal/load"
	"github.com/outcrop/outcrop/bench/internal/procstat"
)

// ErrUsage wraps the errors of bad flags.
var ErrUsage = errors.New("usage")

// harness is one run's state.
type harness struct {
	opts  Options
	plan  Plan
	log   io.Writer
	work  string
	bins  binaries
	ticks int

	up                      *proc
	openaiAddr, bedrockAddr string
	targets                 []*target
	redisPrefix             string
	// redisPID is the Redis server's process when it runs on this
	// machine (its CPU is measured for the +redis targets), else 0.
	redisPID int

	clients      map[string]*fasthttp.HostClient
	streamClient *http.Client
	res          *Results
}

// Run runs the harness with the command line args; progress goes to
// stderr and the paths of the files written to stdout. A bad flag
// returns an error wrapping ErrUsage (or flag.ErrHelp for -h).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if opts.Render != "" {
		out := opts.Out
		if out == "" {
			out = opts.Render
		}
		files, err := render(opts.Render, out)
		for _, f := range files {
			fmt.Fprintln(stdout, f)
		}
		return err
	}
	h := &harness{
		opts: opts, plan: opts.plan(), log: stderr,
		clients: map[string]*fasthttp.HostClient{}, streamClient: load.NewStreamClient(),
		res: &Results{Idle: map[string]Mem{}},
	}
	return h.run(ctx, stdout)
}

func (h *harness) run(ctx context.Context, stdout io.Writer) (err error) {
	began := time.Now()
	h.res.Started = began.UTC().Format(time.RFC3339)
	if h.work, err = os.MkdirTemp("", "outcrop-bench-"); err != nil {
		return err
	}
	defer h.cleanup()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	if h.opts.Bin != "" {
		h.bins, err = binariesIn(h.opts.Bin)
	} else {
		h.progress("building outcrop and bench/cmd/{upstream,fastproxy,stdproxy} into %s", h.work)
		h.bins, err = build(ctx, root, h.work)
	}
	if err != nil {
		return err
	}
	if h.opts.Profile != "" {
		if err := os.MkdirAll(h.opts.Profile, 0o750); err != nil {
			return err
		}
	}
	h.ticks = procstat.ClockTicks()
	h.res.Machine, h.res.Plan = describeMachine(ctx, h.ticks), h.plan
	if err := h.pickTargets(ctx); err != nil {
		return err
	}
	if err := h.startAll(ctx); err != nil {
		return err
	}
	if h.opts.runs(phaseClosed) {
		h.rounds(ctx)
	}
	if h.opts.runs(phaseOpen) {
		h.openLoop(ctx)
	}
	if h.opts.runs(phaseStreams) {
		h.streamPhase(ctx)
	}
	if h.opts.runs(phaseProbe) {
		h.probes(ctx)
	}
	h.stopAll()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	h.res.Seconds = time.Since(began).Seconds()
	h.res.Summary = summarize(h.res, h.targets)
	out := h.opts.Out
	if out == "" && (h.opts.Smoke || h.opts.partial()) {
		if out, err = os.MkdirTemp("", "outcrop-bench-partial-"); err != nil {
			return err
		}
	} else if out == "" {
		out = filepath.Join(root, "bench", "results")
	}
	files, err := writeResults(out, h.res)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	h.progress("done in %.0f s", h.res.Seconds)
	if h.opts.Smoke && len(h.res.Problems) > 0 {
		return fmt.Errorf("smoke: %d problems:\n%s", len(h.res.Problems), joinLines(h.res.Problems))
	}
	for _, p := range h.res.Problems {
		h.progress("problem: %s", p)
	}
	return nil
}

// pickTargets selects the targets of the run; the +redis ones need
// Redis, and are skipped without it unless -require-redis.
func (h *harness) pickTargets(ctx context.Context) error {
	want := map[string]bool{}
	for _, n := range h.opts.targetList() {
		want[n] = true
	}
	redisErr := h.pingRedis(ctx)
	if redisErr != nil && h.opts.RequireRedis {
		return fmt.Errorf("redis %s: %w", h.opts.RedisURL, redisErr)
	}
	if redisErr == nil {
		h.redisPID = h.localRedisPID(ctx)
	}
	h.redisPrefix = "outcrop-bench:" + rand.Text()[:12] + ":"
	for _, t := range catalogue() {
		if len(want) > 0 && !want[t.name] {
			continue
		}
		if t.gw.redis && redisErr != nil {
			h.res.Notes = append(h.res.Notes, fmt.Sprintf("%s skipped: Redis at %s: %v", t.name, h.opts.RedisURL, redisErr))
			continue
		}
		h.addTarget(t)
		if h.opts.Before != "" && t.kind == kindGateway {
			twin := *t
			twin.name, twin.bin = t.name+beforeSuffix, h.opts.Before
			twin.desc = t.desc + " — the -before binary"
			h.addTarget(&twin)
		}
	}
	if len(h.targets) == 0 {
		return errors.New("no target to run")
	}
	return nil
}

// addTarget puts t in the run and in the results.
func (h *harness) addTarget(t *target) {
	h.targets = append(h.targets, t)
	h.res.Targets = append(h.res.Targets, TargetInfo{Name: t.name, Kind: string(t.kind), Baseline: t.baseline(), About: t.desc})
}

// startAll starts the upstream and every target, then reads their idle
// memory.
func (h *harness) startAll(ctx context.Context) error {
	up, err := start(ctx, startSpec{
		name: "upstream", bin: h.bins.upstream, env: childEnv(), want: []string{"openai", "bedrock"}, logDir: h.work,
	})
	if err != nil {
		return err
	}
	h.up, h.openaiAddr, h.bedrockAddr = up, up.addrs["openai"], up.addrs["bedrock"]
	for _, t := range h.targets {
		inst, err := h.startTarget(ctx, t, "", nil)
		if err != nil {
			return err
		}
		t.proc, t.addr, t.key, t.pprof = inst.proc, inst.addr, inst.key, inst.pprof
		h.progress("started %-30s pid %-7d %s", t.name, t.proc.pid(), t.addr)
	}
	pause(ctx, h.plan.Settle/2)
	for _, t := range h.targets {
		m, err := procstat.ReadMemory(t.proc.pid())
		h.problem(err, "%s: reading idle memory", t.name)
		h.res.Idle[t.name] = m
	}
	return nil
}

// stopAll stops every process the harness started, the upstream last,
// and reports those that had died on their own.
func (h *harness) stopAll() {
	for _, t := range h.targets {
		if t.proc != nil && t.proc != h.up {
			h.problem(t.proc.alive(), "%s", t.name)
			t.proc.stop()
		}
	}
	if h.up != nil {
		h.problem(h.up.alive(), "upstream")
		h.up.stop()
	}
}

func (h *harness) cleanup() {
	h.stopAll()
	for _, c := range h.clients {
		c.CloseIdleConnections()
	}
	h.streamClient.CloseIdleConnections()
	h.deleteRedisKeys()
	if h.opts.Keep {
		h.progress("kept the work directory %s", h.work)
		return
	}
	if h.work != "" {
		_ = os.RemoveAll(h.work)
	}
}

func (h *harness) redisClient() (*redis.Client, error) {
	opts, err := redis.ParseURL(h.opts.RedisURL)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}

func (h *harness) pingRedis(ctx context.Context) error {
	c, err := h.redisClient()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// localRedisPID is the process of the Redis server when it is one of
// this machine's (INFO's process_id names a redis-server here), else 0:
// a server in a container or elsewhere is not measured.
func (h *harness) localRedisPID(ctx context.Context) int {
	c, err := h.redisClient()
	if err != nil {
		return 0
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return 0
	}
	for line := range strings.Lines(info) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(v)
		if err != nil || pid <= 0 {
			return 0
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "redis") {
			return 0
		}
		return pid
	}
	return 0
}

// redisPIDFor is Redis's process for a target's meter: -1 unless the
// target keeps its limits in Redis.
func (h *harness) redisPIDFor(t *target) int {
	if !t.gw.redis || h.redisPID == 0 {
		return -1
	}
	return h.redisPID
}

// deleteRedisKeys removes what the +redis targets wrote.
func (h *harness) deleteRedisKeys() {
	if h.redisPrefix == "" {
		return
	}
	c, err := h.redisClient()
	if err != nil {
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, h.redisPrefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		_ = c.Del(ctx, keys[:n]...).Err()
		keys = keys[n:]
	}
}

// progress writes one line about the run to stderr.
func (h *harness) progress(format string, args ...any) {
	fmt.Fprintf(h.log, "bench: "+format+"\n", args...)
}

// problem records err, when there is one.
func (h *harness) problem(err error, format string, args ...any) {
	if err != nil {
		h.res.Problems = append(h.res.Problems, fmt.Sprintf(format, args...)+": "+err.Error())
	}
}

// check records failed requests.
func (h *harness) check(n int64, first, format string, args ...any) {
	if n > 0 {
		h.res.Problems = append(h.res.Problems, fmt.Sprintf(format, args...)+fmt.Sprintf(": %d errors, the first: %s", n, first))
	}
}

// checkSome records a measurement that completed nothing.
func (h *harness) checkSome(n int64, format string, args ...any) {
	if n == 0 {
		h.res.Problems = append(h.res.Problems, fmt.Sprintf(format, args...)+": nothing completed")
	}
}

func joinLines(l []string) string { return "  " + strings.Join(l, "\n  ") }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
