// Package httpserve is the seam between the gateway's http.Handler and
// the HTTP server that serves it: Go's net/http, or fasthttp's HTTP/1.1
// server behind an adapter that keeps what the handlers rely on
// (server.http_server).
//
// The adapter keeps: a request context canceled when the client goes
// away, also while the handler waits and before it has written anything;
// a flush per Flush, one chunk each; http.ResponseController's Flush;
// keep-alive connections; header snapshots at WriteHeader; a body
// limit answered by the handler (a body over it reads as
// *http.MaxBytesError); graceful shutdown that waits for handlers.
// It differs from net/http in that: HTTP/1.1 only (so is Outcrop's
// net/http server, which has no TLS); request lines and headers are
// bounded by MaxHeaderBytes (answered 431); malformed
// requests are answered in OpenAI's error envelope.
package httpserve

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// The servers server.http_server names.
const (
	FastHTTP = "fasthttp"
	NetHTTP  = "net/http"
)

// Options configure a server of either kind.
type Options struct {
	Handler http.Handler
	// ReadHeaderTimeout bounds the wait for a request's line and headers;
	// IdleTimeout, for the next request on a kept-alive connection.
	ReadHeaderTimeout, IdleTimeout time.Duration
	// MaxBodyBytes is the handler's body limit. The fasthttp server reads
	// whole bodies before the handler runs and stops at this size; a
	// larger one reaches the handler as a body whose Read fails with
	// *http.MaxBytesError. net/http leaves the limit to the handler.
	MaxBodyBytes int64
	// MaxHeaderBytes bounds the request line and headers (fasthttp:
	// default DefaultMaxHeaderBytes; net/http: its own default).
	MaxHeaderBytes int
	// BaseContext is the parent of every request's context.
	BaseContext context.Context
	// RequestContext, when set, derives each request's context from the
	// one the server made (a child of BaseContext, canceled when the
	// client goes away) and the request's headers, before the handler
	// runs: values that every request carries go in without the handler
	// copying the request for them.
	RequestContext func(ctx context.Context, h http.Header) context.Context
	// Inline, when set, reports whether a request's handler will not
	// stream (flush before it returns), given the request and its whole
	// body. The fasthttp server then runs that handler on the
	// connection's own goroutine, which spares a request two goroutine
	// hand-overs; the client is still watched once the handler has run
	// for a moment. A Flush of such a handler sends nothing until it
	// returns, so that a wrong guess costs the stream its pacing, never
	// its bytes. net/http's server runs every handler on the connection's
	// goroutine already, and ignores it.
	Inline func(r *http.Request, body []byte) bool
	Logger *slog.Logger
}

// Server is what both kinds offer, as *http.Server does: Serve returns
// http.ErrServerClosed after Shutdown or Close.
type Server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
	Close() error
}

// New returns a server of the named kind.
func New(kind string, o Options) (Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch kind {
	case FastHTTP, "":
		return newFast(o), nil
	case NetHTTP:
		base := o.BaseContext
		if base == nil {
			base = context.Background()
		}
		h := o.Handler
		if rc := o.RequestContext; rc != nil {
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				o.Handler.ServeHTTP(w, r.WithContext(rc(r.Context(), r.Header)))
			})
		}
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: o.ReadHeaderTimeout,
			IdleTimeout:       o.IdleTimeout,
			MaxHeaderBytes:    o.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return base },
		}, nil
	}
	return nil, fmt.Errorf("http server %q: want %s or %s", kind, FastHTTP, NetHTTP)
}
