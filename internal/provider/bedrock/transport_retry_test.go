package bedrock

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a clock that only the fake sleep moves.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// testPolicy returns a policy whose jitter always picks frac of the
// ceiling, on a fake clock.
func testPolicy(attempts int, maxTime time.Duration, frac float64) (retryPolicy, *fakeClock) {
	clk := &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	p := newRetryPolicy(attempts, maxTime)
	p.rand = func() float64 { return frac }
	p.now, p.sleep = clk.Now, clk.Sleep
	return p, clk
}

func TestRetryBackoff(t *testing.T) {
	p, _ := testPolicy(100, time.Hour, 0.999999)
	tests := []struct {
		attempt int
		ceil    time.Duration
	}{
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{5, 3200 * time.Millisecond},
		{6, retryMaxDelay},
		{40, retryMaxDelay},
	}
	for _, tt := range tests {
		got := p.backoff(tt.attempt)
		if got >= tt.ceil || got < tt.ceil*99/100 {
			t.Errorf("attempt %d: got %v, want just under %v", tt.attempt, got, tt.ceil)
		}
	}
	p.rand = func() float64 { return 0 }
	if got := p.backoff(3); got != 0 {
		t.Errorf("full jitter at 0: got %v, want 0", got)
	}
}

func TestRetryWait(t *testing.T) {
	p, clk := testPolicy(3, 20*time.Second, 0.5)
	tests := []struct {
		name     string
		attempt  int
		elapsed  time.Duration
		advice   time.Duration
		deadline time.Time
		want     time.Duration
		wantOK   bool
	}{
		{name: "first retry", attempt: 1, want: 100 * time.Millisecond, wantOK: true},
		{name: "second retry", attempt: 2, want: 200 * time.Millisecond, wantOK: true},
		{name: "attempts spent", attempt: 3},
		{name: "advice honoured", attempt: 1, advice: 3 * time.Second, want: 3 * time.Second, wantOK: true},
		{name: "advice beyond budget", attempt: 1, elapsed: 18 * time.Second, advice: 3 * time.Second},
		{name: "budget spent", attempt: 1, elapsed: 20 * time.Second},
		{name: "deadline too near", attempt: 1, advice: time.Second, deadline: clk.now.Add(500 * time.Millisecond)},
		{name: "deadline far", attempt: 1, advice: time.Second, deadline: clk.now.Add(time.Minute), want: time.Second, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := p.wait(tt.attempt, tt.elapsed, tt.advice, tt.deadline)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %v %v, want %v %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSleepCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ctx, time.Hour); err == nil {
		t.Error("got nil from a sleep on a canceled context, want its error")
	}
	if err := sleepCtx(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("got %v, want nil", err)
	}
}
