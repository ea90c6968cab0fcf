package ratelimit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/testservice"
)

// fakeClock is Memory's clock in tests: it moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is one implementation under the shared behavioural table.
type harness struct {
	// newLimiter returns a fresh limiter with state of its own.
	newLimiter func(t *testing.T, opts Options) Limiter
	// now is the clock Budget.ResetAt is measured against.
	now func() time.Time
	// slack is how much real time may pass in a test: 0 for Memory,
	// whose clock stands still.
	slack time.Duration
}

func memoryHarness() harness {
	clock := newFakeClock()
	return harness{
		newLimiter: func(_ *testing.T, opts Options) Limiter {
			opts.Now = clock.Now
			return NewMemory(opts)
		},
		now: clock.Now,
	}
}

func redisHarness() harness {
	return harness{
		newLimiter: func(t *testing.T, opts Options) Limiter {
			t.Helper()
			return newTestRedis(t, opts)
		},
		now:   time.Now,
		slack: 2 * time.Second,
	}
}

// redisLaterHarness is Redis settling through SettleLater, so that the
// behaviour table checks it as it checks Settle.
func redisLaterHarness() harness {
	h := redisHarness()
	h.newLimiter = func(t *testing.T, opts Options) Limiter {
		t.Helper()
		return laterLimiter{newTestRedis(t, opts)}
	}
	return h
}

// laterLimiter's Settle is SettleLater, waiting for done.
type laterLimiter struct{ LaterSettler }

// memoryLaterHarness is Memory settling through SettleLater.
func memoryLaterHarness() harness {
	h := memoryHarness()
	plain := h.newLimiter
	h.newLimiter = func(t *testing.T, opts Options) Limiter {
		t.Helper()
		return laterLimiter{plain(t, opts).(*Memory)}
	}
	return h
}

func (l laterLimiter) Settle(_ context.Context, res *Reservation, actual Actual) error {
	errc := make(chan error, 1)
	l.SettleLater(res, actual, func(err error) { errc <- err })
	return <-errc
}

// newTestRedis returns a Redis limiter with a client and key prefix of
// its own, as one replica would have.
func newTestRedis(t testing.TB, opts Options) *Redis {
	t.Helper()
	u, prefix := testservice.Redis(t)
	if opts.Prefix == "" {
		opts.Prefix = prefix
	}
	return NewRedis(newTestClient(t, u), opts)
}

// newTestClient returns a client of the test's own, closed at its end.
func newTestClient(t testing.TB, u string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("parse %s: %v", testservice.String(u), err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// allow runs Allow and fails the test on an error.
func allow(t *testing.T, l Limiter, req Request) (Decision, *Reservation) {
	t.Helper()
	d, res, err := l.Allow(context.Background(), req)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	if d.Allowed && res == nil && needsSettle(req) {
		t.Fatalf("Allow admitted without a reservation")
	}
	if !d.Allowed && res != nil {
		t.Fatalf("Allow denied with a reservation %+v", res)
	}
	return d, res
}

func needsSettle(req Request) bool {
	if len(req.Budgets) > 0 {
		return true
	}
	for _, l := range req.Limits {
		if l.TPM > 0 || l.Concurrency > 0 {
			return true
		}
	}
	return false
}

// settle runs Settle and fails the test on an error.
func settle(t *testing.T, l Limiter, res *Reservation, actual Actual) {
	t.Helper()
	if err := l.Settle(context.Background(), res, actual); err != nil {
		t.Fatalf("Settle: %v", err)
	}
}

// within checks a duration that real time may have shortened by up to
// slack.
func within(t *testing.T, what string, got, want, slack time.Duration) {
	t.Helper()
	if got > want || got < want-slack {
		t.Errorf("%s: got %v, want %v (less at most %v)", what, got, want, slack)
	}
}

// checkWindow compares a window, its Reset within slack.
func checkWindow(t *testing.T, what string, got, want Window, slack time.Duration) {
	t.Helper()
	if got.Limit != want.Limit || got.Remaining != want.Remaining {
		t.Errorf("%s: got limit %d remaining %d, want limit %d remaining %d", what, got.Limit, got.Remaining, want.Limit, want.Remaining)
	}
	within(t, what+" reset", got.Reset, want.Reset, slack)
}

// checkDenied checks a denial's reason, limit and Retry-After.
func checkDenied(t *testing.T, d Decision, reason, id string, retry, slack time.Duration) {
	t.Helper()
	if d.Allowed || d.Reason != reason || d.LimitID != id {
		t.Fatalf("got allowed %v reason %q limit %q, want a denial %q by %q", d.Allowed, d.Reason, d.LimitID, reason, id)
	}
	within(t, "RetryAfter", d.RetryAfter, retry, slack)
}
