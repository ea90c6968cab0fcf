package httpserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/internal/openai"
)

// fastServer serves an http.Handler on fasthttp's HTTP/1.1 server.
//
// Each request's handler runs on its connection's worker goroutine
// while the connection's own goroutine watches the socket, so that a
// client that goes away cancels the request's context, also while the
// handler waits for an upstream's first token. A response the handler
// does not flush goes out whole, with its length, in one write. The
// first Flush hands the response over: fasthttp writes the headers, and
// the handler's goroutine writes one flushed chunk per Flush while the
// connection's goroutine goes on watching. A Flush after a body of
// exactly the declared Content-Length sends the answer at once and lets
// the handler finish on its own (the access log does this before
// settling limits). See exchange.
type fastServer struct {
	opts     Options
	srv      *fasthttp.Server
	mu       sync.Mutex
	ln       *listener
	shutdown atomic.Bool
	// handlers counts the handlers still running, which Shutdown waits
	// for: one may outlive its connection's part (an answer sent early).
	handlers sync.WaitGroup
}

func newFast(o Options) *fastServer {
	f := &fastServer{opts: o}
	maxHeader := o.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	f.srv = &fasthttp.Server{
		Handler:      f.serve,
		ErrorHandler: f.serveError,
		// The request line and headers must arrive within
		// ReadHeaderTimeout; the body, once they have, within
		// bodyReadTimeout (HeaderReceived).
		ReadTimeout: o.ReadHeaderTimeout,
		IdleTimeout: o.IdleTimeout,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: bodyReadTimeout}
		},
		MaxRequestBodySize: int(o.MaxBodyBytes),
		ReadBufferSize:     maxHeader,
		// A connection holds its read and write buffers only while it
		// reads a request or writes an answer, not while idle between
		// requests or while a stream's handler runs: 16 KiB less for
		// each (at 1,000 Bedrock streams, 157.5 → 147.4 MiB RSS), for
		// about 1 µs a request of pool traffic. The wait for the next
		// request reads ahead (watchConn.readAhead), so that it costs
		// no extra read.
		ReduceMemoryUsage: true,
		// The body goes to the handler as it came (no multipart parsing),
		// and fasthttp's own error messages leave request contents (keys)
		// out of the log.
		DisablePreParseMultipartForm: true,
		SecureErrorLogMessage:        true,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		CloseOnShutdown:              true,
		// A connection's goroutine waits this long for the next
		// connection before it ends, so the count returns to idle soon
		// after a load.
		MaxIdleWorkerDuration: time.Second,
		Logger:                fastLogger{o.Logger},
	}
	return f
}

// bodyReadTimeout bounds the read of a request's body after its headers
// (net/http's server, as Outcrop configures it, has no bound).
const bodyReadTimeout = 10 * time.Minute

// DefaultMaxHeaderBytes bounds a request's line and headers on the
// fasthttp server: its read buffer per connection.
const DefaultMaxHeaderBytes = 16 << 10

func (f *fastServer) Serve(ln net.Listener) error {
	l := newListener(ln, f.srv.ReadBufferSize)
	f.mu.Lock()
	f.ln = l
	f.mu.Unlock()
	err := f.srv.Serve(l)
	if f.shutdown.Load() {
		return http.ErrServerClosed
	}
	return err
}

// Shutdown stops accepting, closes idle connections and waits for the
// others and for every handler, until ctx is done.
func (f *fastServer) Shutdown(ctx context.Context) error {
	f.shutdown.Store(true)
	if err := f.srv.ShutdownWithContext(ctx); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { f.handlers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close cuts every open connection; their handlers see their contexts
// canceled.
func (f *fastServer) Close() error {
	f.shutdown.Store(true)
	f.mu.Lock()
	l := f.ln
	f.mu.Unlock()
	if l == nil {
		return nil
	}
	err := l.Close()
	l.closeAll()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// serve is fasthttp's handler: one exchange per request.
func (f *fastServer) serve(fc *fasthttp.RequestCtx) {
	x, err := f.newExchange(fc, nil)
	if err != nil {
		badRequest(fc, http.StatusBadRequest, err.Error())
		return
	}
	if in := f.opts.Inline; in != nil && in(x.req, fc.Request.Body()) {
		x.runInline()
		return
	}
	x.run()
}

// serveError answers what fasthttp could not read. A body over the limit
// still goes to the handler, as a body whose Read fails with
// *http.MaxBytesError, so that it is answered (and logged) as with
// net/http; the rest get an error in OpenAI's envelope.
func (f *fastServer) serveError(fc *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		tooLarge := &http.MaxBytesError{Limit: f.opts.MaxBodyBytes}
		x, xerr := f.newExchange(fc, tooLarge)
		if xerr != nil {
			badRequest(fc, http.StatusRequestEntityTooLarge, tooLarge.Error())
			return
		}
		x.runSync()
	case errors.As(err, &small):
		badRequest(fc, http.StatusRequestHeaderFieldsTooLarge, "request headers too large")
	case errors.As(err, &netErr) && netErr.Timeout():
		badRequest(fc, http.StatusRequestTimeout, "request not received in time")
	default:
		badRequest(fc, http.StatusBadRequest, "malformed HTTP request")
	}
}

// badRequest answers in OpenAI's error envelope, before any handler.
func badRequest(fc *fasthttp.RequestCtx, status int, msg string) {
	body, _ := json.Marshal(&openai.Error{Status: status, Type: openai.TypeInvalidRequest, Message: msg}) // cannot fail
	fc.Response.Reset()
	fc.SetStatusCode(status)
	fc.SetContentType("application/json")
	fc.SetBody(append(body, '\n'))
	fc.SetConnectionClose()
}

// fastLogger sends fasthttp's own messages to the gateway's log.
type fastLogger struct{ l *slog.Logger }

func (f fastLogger) Printf(format string, args ...any) {
	if f.l != nil {
		f.l.Warn("http server: " + fmt.Sprintf(format, args...))
	}
}
