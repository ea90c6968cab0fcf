package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// Behaviours over time, which only Memory's injected clock can show.

func TestMemoryRefill(t *testing.T) {
	clock := newFakeClock()
	l := NewMemory(Options{Now: clock.Now})
	req := Request{Limits: []Limit{{ID: "key:a", RPM: 60}}}
	for range 60 {
		allow(t, l, req)
	}
	steps := []struct {
		name      string
		advance   time.Duration
		allowed   bool
		retry     time.Duration
		remaining int64
	}{
		{"empty", 0, false, time.Second, 0},
		{"almost one", 999 * time.Millisecond, false, time.Millisecond, 0},
		{"one refilled", time.Millisecond, true, 0, 0},
		{"half a minute", 30 * time.Second, true, 0, 29},
		{"never above capacity", 10 * time.Minute, true, 0, 59},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		d, _ := allow(t, l, req)
		if d.Allowed != s.allowed || d.RetryAfter != s.retry || d.Requests.Remaining != s.remaining {
			t.Errorf("%s: got allowed %v retry %v remaining %d, want %v %v %d",
				s.name, d.Allowed, d.RetryAfter, d.Requests.Remaining, s.allowed, s.retry, s.remaining)
		}
	}
}

func TestMemoryTokensWaitForDebt(t *testing.T) {
	clock := newFakeClock()
	l := NewMemory(Options{Now: clock.Now})
	lim := []Limit{{ID: "key:a", TPM: 600}} // 10 tokens a second
	_, res := allow(t, l, Request{Limits: lim, Tokens: 100})
	settle(t, l, res, Actual{Tokens: 1000}) // level 600 - 1000 = -400
	d, _ := allow(t, l, Request{Limits: lim, Tokens: 100})
	checkDenied(t, d, ReasonTokens, "key:a", 50*time.Second, 0)
	clock.Advance(d.RetryAfter - time.Millisecond)
	if d, _ := allow(t, l, Request{Limits: lim, Tokens: 100}); d.Allowed {
		t.Fatalf("got allowed 1 ms before RetryAfter, want denied")
	}
	clock.Advance(time.Millisecond)
	if d, _ := allow(t, l, Request{Limits: lim, Tokens: 100}); !d.Allowed {
		t.Fatalf("got denied (%s) at RetryAfter, want allowed", d.Reason)
	}
}

func TestMemoryClockBackwards(t *testing.T) {
	clock := newFakeClock()
	l := NewMemory(Options{Now: clock.Now})
	req := Request{Limits: []Limit{{ID: "key:a", RPM: 60}}}
	for range 60 {
		allow(t, l, req)
	}
	clock.Advance(-30 * time.Second)
	d, _ := allow(t, l, req)
	checkDenied(t, d, ReasonRequests, "key:a", time.Second, 0)
	// Back to the original time plus a second: one request refilled,
	// not the 30 seconds the clock went back and forth.
	clock.Advance(31 * time.Second)
	d, _ = allow(t, l, req)
	if !d.Allowed || d.Requests.Remaining != 0 {
		t.Errorf("got allowed %v remaining %d, want allowed with 0 left", d.Allowed, d.Requests.Remaining)
	}
	d, _ = allow(t, l, req)
	checkDenied(t, d, ReasonRequests, "key:a", time.Second, 0)
}

func TestMemoryLeaseExpiry(t *testing.T) {
	clock := newFakeClock()
	l := NewMemory(Options{Now: clock.Now, LeaseTTL: time.Minute})
	req := Request{Limits: []Limit{{ID: "key:a", Concurrency: 1}}}
	_, forgotten := allow(t, l, req)
	clock.Advance(time.Minute - time.Millisecond)
	d, _ := allow(t, l, req)
	checkDenied(t, d, ReasonConcurrency, "key:a", ConcurrencyRetryAfter, 0)
	clock.Advance(time.Millisecond)
	d, res := allow(t, l, req)
	if !d.Allowed {
		t.Fatalf("got denied (%s) after LeaseTTL, want the never-settled slot back", d.Reason)
	}
	// A late Settle of the expired lease must not free the new one.
	settle(t, l, forgotten, Actual{})
	d, _ = allow(t, l, req)
	checkDenied(t, d, ReasonConcurrency, "key:a", ConcurrencyRetryAfter, 0)
	settle(t, l, res, Actual{})
}

func TestMemoryBudgetExpiry(t *testing.T) {
	clock := newFakeClock()
	l := NewMemory(Options{Now: clock.Now})
	calls := 0
	b := Budget{ID: "key_a:day", Limit: dollar, TTL: time.Hour, Seed: func(context.Context) (usage.NanoUSD, error) {
		calls++
		return dollar / 2, nil
	}}
	req := Request{Budgets: []Budget{b}, Cost: dollar / 4}
	allow(t, l, req)
	clock.Advance(59 * time.Minute)
	allow(t, l, req) // renews the TTL
	clock.Advance(59 * time.Minute)
	d, _ := allow(t, l, req)
	checkDenied(t, d, ReasonBudget, b.ID, 0, 0)
	if calls != 1 {
		t.Fatalf("got %d Seed calls while the counter lived, want 1", calls)
	}
	clock.Advance(time.Hour)
	d, _ = allow(t, l, req)
	if !d.Allowed || calls != 2 {
		t.Errorf("got allowed %v after %d Seed calls, want allowed after the expired counter was seeded again (2)", d.Allowed, calls)
	}
}

func TestMemorySweep(t *testing.T) {
	clock := newFakeClock()
	l := NewMemory(Options{Now: clock.Now})
	for i := range 3 * sweepEvery {
		id := "key:" + strconv.Itoa(i)
		_, res := allow(t, l, Request{
			Limits:  []Limit{{ID: id, RPM: 10, TPM: 100, Concurrency: 1}},
			Budgets: []Budget{{ID: id, Limit: dollar, TTL: time.Minute}},
			Tokens:  10, Cost: 1,
		})
		settle(t, l, res, Actual{Tokens: 10, Cost: 1})
	}
	clock.Advance(2 * time.Minute)
	// Enough Allows of one key for a sweep whatever the map sizes.
	for range 16 * sweepEvery {
		allow(t, l, Request{Limits: []Limit{{ID: "key:busy", RPM: MaxLimit}}})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.buckets) + len(l.slots) + len(l.budgets); n > 1 {
		t.Errorf("got %d entries after the keys went idle, want at most the busy key's bucket", n)
	}
}

// TestMemoryExactUnderConcurrency: the mutex makes check and charge one
// step, so 50 goroutines get exactly the limit between them, and the
// budget is seeded once.
func TestMemoryExactUnderConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget usage.NanoUSD
		want   int64
	}{
		{"requests", 1000 * dollar, 60},
		{"budget", 30 * dollar, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			l := NewMemory(Options{Now: clock.Now})
			var seeds atomic.Int64
			b := Budget{ID: "key_a:day", Limit: tc.budget, Seed: func(context.Context) (usage.NanoUSD, error) {
				seeds.Add(1)
				return 0, nil
			}}
			req := Request{Limits: []Limit{{ID: "key:a", RPM: 60, Concurrency: 1000}}, Budgets: []Budget{b}, Cost: dollar}
			if got := hammer(t, 50, 10, func() Limiter { return l }, req); got != tc.want {
				t.Errorf("got %d admitted, want %d", got, tc.want)
			}
			if got := seeds.Load(); got != 1 {
				t.Errorf("got %d Seed calls, want 1", got)
			}
		})
	}
}

// hammer runs Allow tries times in each of n goroutines, started at
// once, on the limiter pick returns, and counts the admitted.
func hammer(t *testing.T, n, tries int, pick func() Limiter, req Request) int64 {
	t.Helper()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		l := pick()
		wg.Go(func() {
			<-start
			for range tries {
				d, _, err := l.Allow(context.Background(), req)
				if err != nil {
					t.Errorf("Allow: %v", err)
					return
				}
				if d.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	return admitted.Load()
}
