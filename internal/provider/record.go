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

// Recorder receives what providers learn while serving one request and
// the access log or the response should show. The server's request scope
// implements it; providers never see the scope itself.
type Recorder interface {
	RecordRetry(Retry)
	// RecordRequestID notes the upstream's own request ID, returned to the
	// client in a header so an operator can quote it to the upstream.
	RecordRequestID(id string)
}

// RecorderKey is the context key of a request's Recorder. A context of
// another package may answer it itself: the server's request scope does,
// so that a request's values take one context.
type RecorderKey struct{}

// WithRecorder returns ctx carrying r.
func WithRecorder(ctx context.Context, r Recorder) context.Context {
	return context.WithValue(ctx, RecorderKey{}, r)
}

// RecordRetry reports a retry to the recorder in ctx, if any. Providers
// that retry call it before each pause.
func RecordRetry(ctx context.Context, r Retry) {
	if rec, ok := ctx.Value(RecorderKey{}).(Recorder); ok {
		rec.RecordRetry(r)
	}
}

// RecordRequestID reports the upstream's request ID of a successful call
// to the recorder in ctx, if any. Failed calls carry it in UpstreamError.
func RecordRequestID(ctx context.Context, id string) {
	if id == "" {
		return
	}
	if rec, ok := ctx.Value(RecorderKey{}).(Recorder); ok {
		rec.RecordRequestID(id)
	}
}
