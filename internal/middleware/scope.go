// Package middleware holds the HTTP middleware every request passes
// through (request ID, access log, panic recovery) and the one typed
// per-request Scope they share with the handlers.
package middleware

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Scope is what the middleware and handlers learn about one request. The
// request-ID middleware creates it; handlers fill in what they know; the
// access log reads it when the request ends. It is owned by the request's
// goroutine and must not be shared with others.
type Scope struct {
	RequestID string
	Start     time.Time
	// Route is the matched route pattern, set by the router.
	Route string
	// Model is the model name the client asked for.
	Model string
	// Deployment names the deployment that served the request.
	Deployment string
	// Fallbacks lists deployments that failed first, with the cause.
	Fallbacks []string
	// Retries lists the retried attempts within a deployment, with the
	// cause and the pause before the next one.
	Retries []string
	Stream  bool
	// TTFT is the time to the first streamed token, zero if none.
	TTFT time.Duration
	// Usage is the token usage reported by the upstream, nil if unknown.
	Usage *openai.Usage
	// UpstreamRequestID is the upstream's request ID, if it gave one.
	UpstreamRequestID string
	// Err is the internal error behind a failed request, for the log only.
	Err error
	// ClientGone is set when the client disconnected before the end.
	ClientGone bool
	// Principal is who the request comes from, once authenticated.
	Principal *auth.Principal
	// OnDone, when set, runs as the request ends, before its log line,
	// with the status sent: limits are settled and the usage ledger
	// written there, after the last byte of a stream.
	OnDone func(status int)
	// Ticket is the accounting state behind OnDone (package access's).
	Ticket any
}

// RecordRequestID implements provider.Recorder.
func (s *Scope) RecordRequestID(id string) { s.UpstreamRequestID = id }

// RecordRetry implements provider.Recorder.
func (s *Scope) RecordRetry(r provider.Retry) {
	s.Retries = append(s.Retries, fmt.Sprintf("attempt %d: %s; retry in %s", r.Attempt, r.Cause, r.Wait.Round(time.Millisecond)))
}

type scopeKey struct{}

// scopeCtx carries a request's Scope, under scopeKey and as the
// providers' Recorder: one context, allocated with the Scope.
type scopeCtx struct {
	context.Context
	scope Scope
}

func (c *scopeCtx) Value(key any) any {
	switch key.(type) {
	case scopeKey:
		return &c.scope
	case provider.RecorderKey:
		return provider.Recorder(&c.scope)
	}
	return c.Context.Value(key)
}

// Begin returns ctx carrying a new Scope for the request whose headers
// are h, started now. Its ID is the client's X-Request-Id when that is
// well formed (one set by a load balancer, say), so that a request can be
// traced across hops, and a new one otherwise.
//
// RequestID calls it for a request that has no Scope yet; the server
// calls it first (httpserve.Options.RequestContext), as it builds the
// request, so that the request is not copied again for its context.
func Begin(ctx context.Context, h http.Header) context.Context {
	id := h.Get(HeaderRequestID)
	if !validRequestID(id) {
		id = NewRequestID()
	}
	return &scopeCtx{Context: ctx, scope: Scope{RequestID: id, Start: time.Now()}}
}

// ScopeFrom returns the request's Scope. Outside a request it returns a
// fresh Scope, so callers never check for nil.
func ScopeFrom(ctx context.Context) *Scope {
	if s, ok := ctx.Value(scopeKey{}).(*Scope); ok {
		return s
	}
	return &Scope{}
}
