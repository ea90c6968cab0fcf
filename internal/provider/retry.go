package provider

import (
	"context"
	"time"
)

// Retry is one retried attempt at an upstream, reported so that the access
// log can say how a request was served.
type Retry struct {
	// Attempt is the attempt that failed, from 1.
	Attempt int
	// Cause says why it failed, without secrets.
	Cause string
	// Wait is the pause before the next attempt.
	Wait time.Duration
}

// RetryRecorder receives the retries made for one request. The server's
// request scope implements it.
type RetryRecorder interface {
	RecordRetry(Retry)
}

type retryKey struct{}

// WithRetryRecorder returns ctx carrying r.
func WithRetryRecorder(ctx context.Context, r RetryRecorder) context.Context {
	return context.WithValue(ctx, retryKey{}, r)
}

// RecordRetry reports a retry to the recorder in ctx, if any. Providers
// that retry call it before each pause.
func RecordRetry(ctx context.Context, r Retry) {
	if rec, ok := ctx.Value(retryKey{}).(RetryRecorder); ok {
		rec.RecordRetry(r)
	}
}
