package bedrock

import (
	"context"
	"math/rand/v2"
	"time"
)

// Retry defaults. Three attempts is the AWS SDK's standard retryer; the
// backoff is shorter than its (up to 20 s per pause) because a gateway's
// client is waiting, and the router can still fall back to another
// deployment afterwards.
const (
	DefaultMaxAttempts  = 3
	DefaultMaxRetryTime = 20 * time.Second
	retryBaseDelay      = 200 * time.Millisecond
	retryMaxDelay       = 5 * time.Second
)

// retryPolicy decides whether and when a failed attempt is repeated:
// exponential backoff with full jitter, a cap on attempts and on the time
// spent, and the upstream's Retry-After honoured when it sends one.
type retryPolicy struct {
	maxAttempts int
	maxTime     time.Duration
	// rand returns a number in [0, 1); sleep pauses or returns ctx's
	// error; now reads the clock. Tests replace all three.
	rand  func() float64
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

func newRetryPolicy(maxAttempts int, maxTime time.Duration) retryPolicy {
	return retryPolicy{
		maxAttempts: maxAttempts,
		maxTime:     maxTime,
		rand:        rand.Float64,
		sleep:       sleepCtx,
		now:         time.Now,
	}
}

// wait returns the pause before the attempt after attempt (counted from 1)
// and whether to make it at all. elapsed is the time since the first
// attempt started; advice is the upstream's Retry-After, zero if none.
// deadline is the request context's, zero if none: a retry that could not
// finish before it is not started.
func (p *retryPolicy) wait(attempt int, elapsed, advice time.Duration, deadline time.Time) (time.Duration, bool) {
	if attempt >= p.maxAttempts {
		return 0, false
	}
	d := advice
	if d <= 0 {
		d = p.backoff(attempt)
	}
	if elapsed+d > p.maxTime {
		return 0, false
	}
	if !deadline.IsZero() && p.now().Add(d).After(deadline) {
		return 0, false
	}
	return d, true
}

// backoff is full jitter: uniform in [0, min(max, base·2^(attempt-1))).
func (p *retryPolicy) backoff(attempt int) time.Duration {
	ceil := retryMaxDelay
	if attempt < 16 {
		ceil = min(retryMaxDelay, retryBaseDelay<<(attempt-1))
	}
	return time.Duration(p.rand() * float64(ceil))
}

// sleepCtx pauses for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
