package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// profileKinds are the profiles captured over a window: pprof's delta
// profiles (?seconds=) for allocs, mutex and block, and the CPU profile.
var profileKinds = []string{"profile", "allocs", "mutex", "block"}

// captureProfiles starts capturing t's profiles for the closed-loop
// window cl that is about to start (after the warm-up), into -profile
// as TARGET-LOAD.KIND.pprof, and the process's allocation counters over
// the same span; wait waits for them, records failures and returns the
// counters' growth (nil when not read). It does nothing for a target
// without a profiler listener.
func (h *harness) captureProfiles(ctx context.Context, t *target, cl closedLoad) (wait func() *memGrowth) {
	if h.opts.Profile == "" || t.pprof == "" {
		return func() *memGrowth { return nil }
	}
	secs := h.profileSeconds()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	var grown *memGrowth
	wg.Go(func() {
		pause(ctx, h.plan.Warmup)
		before, err := readMemCounters(ctx, t.pprof)
		if err == nil {
			pause(ctx, time.Duration(secs)*time.Second)
			var after memGrowth
			if after, err = readMemCounters(ctx, t.pprof); err == nil {
				grown = &memGrowth{Mallocs: after.Mallocs - before.Mallocs, Bytes: after.Bytes - before.Bytes}
			}
		}
		if err != nil {
			mu.Lock()
			errs = append(errs, "allocation counters: "+err.Error())
			mu.Unlock()
		}
	})
	for _, kind := range profileKinds {
		wg.Go(func() {
			pause(ctx, h.plan.Warmup)
			name := fmt.Sprintf("%s-%s.%s.pprof", strings.ReplaceAll(t.name, "+", "_"), cl.name, strings.Replace(kind, "profile", "cpu", 1))
			if err := fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", t.pprof, kind, secs), filepath.Join(h.opts.Profile, name)); err != nil {
				mu.Lock()
				errs = append(errs, name+": "+err.Error())
				mu.Unlock()
			}
		})
	}
	return func() *memGrowth {
		wg.Wait()
		for _, e := range errs {
			h.problem(fmt.Errorf("%s", e), "%s %s: profile", t.name, cl.name)
		}
		return grown
	}
}

// profileSeconds is how long a window's profiles and counters span: the
// window, in whole seconds (pprof's ?seconds=), at least one.
func (h *harness) profileSeconds() int { return max(1, int(h.plan.Window/time.Second)) }

// memGrowth is the growth of the Go runtime's allocation counters
// (MemStats.Mallocs and TotalAlloc) over a span.
type memGrowth struct{ Mallocs, Bytes uint64 }

// readMemCounters reads MemStats.Mallocs and TotalAlloc from the text
// heap profile (?debug=1), which ends with the process's MemStats.
func readMemCounters(ctx context.Context, addr string) (memGrowth, error) {
	body, err := getPprof(ctx, "http://"+addr+"/debug/pprof/allocs?debug=1")
	if err != nil {
		return memGrowth{}, err
	}
	defer body.Close()
	return parseMemCounters(body)
}

// parseMemCounters finds the "# Mallocs = N" and "# TotalAlloc = N"
// lines of a text heap profile.
func parseMemCounters(r io.Reader) (memGrowth, error) {
	var m memGrowth
	var found int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), " = ")
		if !ok {
			continue
		}
		var dst *uint64
		switch name {
		case "Mallocs":
			dst = &m.Mallocs
		case "TotalAlloc":
			dst = &m.Bytes
		default:
			continue
		}
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return m, fmt.Errorf("heap profile: %s = %q: %w", name, value, err)
		}
		*dst = n
		found++
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if found < 2 {
		return m, errors.New("heap profile: no Mallocs and TotalAlloc lines")
	}
	return m, nil
}

// fetchProfile writes what url answers to path.
func fetchProfile(ctx context.Context, url, path string) error {
	body, err := getPprof(ctx, url)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// getPprof GETs one of the profiler's URLs and returns the body of a 200.
func getPprof(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s", resp.Status, b)
	}
	return resp.Body, nil
}
