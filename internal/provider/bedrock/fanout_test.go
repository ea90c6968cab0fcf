package bedrock

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/provider"
)

// fanGate holds every call until the test releases it, and counts the calls
// in flight.
type fanGate struct {
	arrived  chan chan struct{}
	mu       sync.Mutex
	now, max int
	seen     []int
}

func newFanGate(n int) *fanGate { return &fanGate{arrived: make(chan chan struct{}, n)} }

func (g *fanGate) call(_ context.Context, i int) error {
	release := make(chan struct{})
	g.mu.Lock()
	g.now++
	g.max = max(g.max, g.now)
	g.seen = append(g.seen, i)
	g.mu.Unlock()
	g.arrived <- release
	<-release
	g.mu.Lock()
	g.now--
	g.mu.Unlock()
	return nil
}

// drive releases the calls one at a time, each once as many as the bound
// allows are held; a bound that is never reached fails the test.
func (g *fanGate) drive(t *testing.T, n, limit int) {
	t.Helper()
	var held []chan struct{}
	for done := 0; done < n; done++ {
		for len(held) < min(limit, n-done) {
			select {
			case r := <-g.arrived:
				held = append(held, r)
			case <-time.After(10 * time.Second):
				t.Fatalf("only %d calls in flight after %d ended, want %d", len(held), done, min(limit, n-done))
			}
		}
		close(held[0])
		held = held[1:]
	}
}

func TestFanOutBound(t *testing.T) {
	tests := []struct{ n, limit int }{
		{n: 10, limit: 3},
		{n: 3, limit: 8},
		{n: 1, limit: 8},
		{n: 40, limit: maxParallelCalls},
	}
	for _, tt := range tests {
		g := newFanGate(tt.n)
		done := make(chan error, 1)
		go func() { done <- fanOut(context.Background(), tt.n, tt.limit, g.call) }()
		g.drive(t, tt.n, tt.limit)
		if err := <-done; err != nil {
			t.Fatalf("n %d limit %d: %v", tt.n, tt.limit, err)
		}
		if want := min(tt.n, tt.limit); g.max != want {
			t.Errorf("n %d limit %d: got %d calls at once, want %d", tt.n, tt.limit, g.max, want)
		}
		slices.Sort(g.seen)
		if len(g.seen) != tt.n {
			t.Fatalf("n %d: got %d calls, want %d", tt.n, len(g.seen), tt.n)
		}
		for i, v := range g.seen {
			if v != i {
				t.Fatalf("n %d: calls made %v, want each index once", tt.n, g.seen)
			}
		}
	}
}

func TestFanOutFirstError(t *testing.T) {
	boom := errors.New("boom")
	err := fanOut(context.Background(), 5, 2, func(ctx context.Context, i int) error {
		if i == 0 {
			return boom
		}
		<-ctx.Done() // the others only end when the failure cancels them
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the first failure", err)
	}
}

func TestFanOutCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := fanOut(ctx, 3, 1, func(context.Context, int) error { calls++; return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v after %d calls, want context.Canceled", err, calls)
	}
}

// strictRecorder is a provider.Recorder that fails the test on concurrent use.
type strictRecorder struct {
	busy     sync.Mutex
	t        *testing.T
	retries  []provider.Retry
	lastID   string
	idsCount int
}

func (r *strictRecorder) RecordRetry(x provider.Retry) {
	if !r.busy.TryLock() {
		r.t.Error("strictRecorder used concurrently")
		return
	}
	defer r.busy.Unlock()
	r.retries = append(r.retries, x)
}

func (r *strictRecorder) RecordRequestID(id string) {
	if !r.busy.TryLock() {
		r.t.Error("strictRecorder used concurrently")
		return
	}
	defer r.busy.Unlock()
	r.lastID, r.idsCount = id, r.idsCount+1
}

func TestFanOutRecords(t *testing.T) {
	rec := &strictRecorder{t: t}
	ctx := provider.WithRecorder(context.Background(), rec)
	g := newFanGate(4)
	done := make(chan error, 1)
	go func() {
		done <- fanOut(ctx, 4, 4, func(ctx context.Context, i int) error {
			provider.RecordRetry(ctx, provider.Retry{Attempt: i + 1, Cause: "throttled"})
			provider.RecordRequestID(ctx, "req")
			return g.call(ctx, i)
		})
	}()
	g.drive(t, 4, 4) // all four record while the others run
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(rec.retries) != 4 || rec.lastID != "req" || rec.idsCount != 1 {
		t.Errorf("got %d retries, request ID %q recorded %d times; want 4, req, once", len(rec.retries), rec.lastID, rec.idsCount)
	}
}
