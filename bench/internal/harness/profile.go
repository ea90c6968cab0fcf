package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// profileKinds are the profiles captured over a window: pprof's delta
// profiles (?seconds=) for allocs, mutex and block, and the CPU profile.
var profileKinds = []string{"profile", "allocs", "mutex", "block"}

// captureProfiles starts capturing t's profiles for the closed-loop
// window cl that is about to start (after the warm-up), into -profile
// as TARGET-LOAD.KIND.pprof; wait waits for them and records failures.
// It does nothing for a target without a profiler listener.
func (h *harness) captureProfiles(ctx context.Context, t *target, cl closedLoad) (wait func()) {
	if h.opts.Profile == "" || t.pprof == "" {
		return func() {}
	}
	secs := max(1, int(h.plan.Window/time.Second))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
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
	return func() {
		wg.Wait()
		for _, e := range errs {
			h.problem(fmt.Errorf("%s", e), "%s %s: profile", t.name, cl.name)
		}
	}
}

// fetchProfile writes what url answers to path.
func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
