package openaicompat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/outcrop/outcrop/internal/provider"
)

// Interface guards.
var (
	_ provider.Provider    = (*Client)(nil)
	_ provider.Completer   = (*Client)(nil)
	_ provider.Embedder    = (*Client)(nil)
	_ provider.ModelLister = (*Client)(nil)
	_ provider.Pinger      = (*Client)(nil)
)

// ErrModelsNotSupported is returned by Models for Azure's classic API,
// whose deployments cannot be listed with an API key.
var ErrModelsNotSupported = errors.New("listing models is not supported by this dialect")

// Client is an OpenAI-compatible upstream. It is safe for concurrent use.
type Client struct {
	cfg Config
	rt  http.RoundTripper
	// Prebuilt URLs and headers, read-only after New.
	chatURL, completionURL, embeddingsURL, modelsURL *url.URL
	header, streamHeader                             http.Header
	// errHeaderTimeout is the cause given to a request whose headers did
	// not come in time; it wraps context.DeadlineExceeded so that
	// provider.Transport classifies it as a timeout.
	errHeaderTimeout error
	errTimeout       error
}

// New returns a Client for cfg, or an error naming every invalid field.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:              cfg,
		rt:               cfg.Transport,
		errHeaderTimeout: fmt.Errorf("no response header within %v: %w", cfg.ResponseHeaderTimeout, context.DeadlineExceeded),
		errTimeout:       fmt.Errorf("request not finished within %v: %w", cfg.Timeout, context.DeadlineExceeded),
	}
	c.header, c.streamHeader = cfg.headers()
	var err error
	for _, e := range []struct {
		dst **url.URL
		op  endpoint
	}{{&c.chatURL, endpointChat}, {&c.completionURL, endpointCompletion}, {&c.embeddingsURL, endpointEmbeddings}, {&c.modelsURL, endpointModels}} {
		if *e.dst, err = url.Parse(cfg.url(e.op, "")); err != nil {
			return nil, fmt.Errorf("openaicompat %s: %w", cfg.Name, err)
		}
	}
	return c, nil
}

// Name returns the configured name.
func (c *Client) Name() string { return c.cfg.Name }

// urlFor returns the URL of op for a request to model. The URLs are parsed
// once, except Azure's classic ones, which hold the deployment.
func (c *Client) urlFor(op endpoint, model string) (*url.URL, error) {
	if c.cfg.Dialect == DialectAzure && op != endpointModels {
		u, err := url.Parse(c.cfg.url(op, model))
		if err != nil {
			return nil, fmt.Errorf("openaicompat %s: %w", c.cfg.Name, err)
		}
		return u, nil
	}
	switch op {
	case endpointChat:
		return c.chatURL, nil
	case endpointCompletion:
		return c.completionURL, nil
	case endpointEmbeddings:
		return c.embeddingsURL, nil
	}
	return c.modelsURL, nil
}

// call is one upstream request in flight: its context and its limits.
// The parent is the caller's context, kept to tell the caller's
// cancellation from the client's own timeouts. The limits (the client's
// timeout, and the wait for the response headers) are timers rather than
// a context.WithTimeoutCause: one context fewer per call, and nothing
// downstream reads the deadline.
type call struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelCauseFunc
	limits provider.CallTimer
}

// newCall starts a call; its wait for the headers counts from here, as
// the request goes out at once.
func (c *Client) newCall(parent context.Context) *call {
	cl := &call{parent: parent}
	cl.ctx, cl.cancel = context.WithCancelCause(parent)
	cl.limits.Start(cl.cancel, c.cfg.Timeout, c.errTimeout, c.cfg.ResponseHeaderTimeout, c.errHeaderTimeout)
	return cl
}

// release ends the call's context; safe to call more than once.
func (cl *call) release() {
	cl.cancel(nil)
	cl.limits.Stop()
}

// fail turns a transport or read error into what the caller sees: the
// caller's own context error when it gave up, else a classified
// *provider.UpstreamError (504 on a timeout, 502 otherwise).
func (c *Client) fail(cl *call, err error) error {
	switch perr := cl.parent.Err(); {
	case errors.Is(perr, context.Canceled):
		// The client went away: nothing to classify.
		return fmt.Errorf("openaicompat %s: %w", c.cfg.Name, perr)
	case perr != nil:
		err = perr
	case cl.ctx.Err() != nil:
		// One of our own limits ended the request; its cause says which.
		err = context.Cause(cl.ctx)
	}
	return fmt.Errorf("openaicompat %s: %w", c.cfg.Name, provider.Transport(cl.parent, err))
}

// do sends a request and returns the response once a 2xx status came.
// On error the call is released; on success the caller must close the body
// and release the call.
func (c *Client) do(cl *call, method string, u *url.URL, body []byte, stream bool) (*http.Response, error) {
	header := c.header
	if stream {
		header = c.streamHeader
	}
	// Built by hand rather than with http.NewRequestWithContext, which
	// parses the URL and allocates a header map on every call.
	base := http.Request{Method: method, URL: u, Host: u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: header}
	if body != nil {
		rb := &outBody{data: body}
		rb.Reset(body)
		base.Body, base.GetBody, base.ContentLength = rb, rb.rewind, int64(len(body))
	}
	req := base.WithContext(cl.ctx)
	resp, err := c.rt.RoundTrip(req)
	cl.limits.HeaderDone()
	if err != nil {
		err = c.fail(cl, err)
		cl.release()
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := c.statusError(cl, resp)
		cl.release()
		return nil, err
	}
	provider.RecordRequestID(cl.parent, requestID(resp.Header))
	return resp, nil
}

// outBody is an outgoing body that the transport can rewind to resend a
// request whose connection turned out to be dead.
type outBody struct {
	bytes.Reader
	data []byte
}

func (b *outBody) Close() error { return nil }

func (b *outBody) rewind() (io.ReadCloser, error) {
	rb := &outBody{data: b.data}
	rb.Reset(b.data)
	return rb, nil
}

// maxErrorBody caps how much of an error response is read.
const maxErrorBody = 1 << 20

// maxBody caps a successful non-streaming response. Embeddings of 2048
// inputs at 3072 float dimensions come to about 130 MB as JSON.
const maxBody = 256 << 20

// statusError reads and closes a non-2xx response and classifies it.
func (c *Client) statusError(cl *call, resp *http.Response) error {
	defer resp.Body.Close()
	body, err := readBody(resp.Body, resp.ContentLength, maxErrorBody)
	if err != nil && !errors.Is(err, errTooLarge) {
		return c.fail(cl, err)
	}
	return fmt.Errorf("openaicompat %s: %w", c.cfg.Name, provider.FromHTTP(resp.StatusCode, resp.Header, body))
}

var errTooLarge = errors.New("response body too large")

// readBody reads r to its end into one exactly sized buffer when the length
// is known. Reading to EOF (not just length bytes) lets the transport reuse
// the connection at once. Past limit it returns what it read and
// errTooLarge.
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	size := int64(512)
	if length >= 0 && length < limit {
		size = length + 1 // the spare byte lets the last Read report EOF
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf[:limit], errTooLarge
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			if int64(len(buf)) > limit {
				return buf[:limit], errTooLarge
			}
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// requestID returns the upstream's request ID: OpenAI's x-request-id, or
// Azure's apim-request-id.
func requestID(h http.Header) string {
	if v := h.Get("X-Request-Id"); v != "" {
		return v
	}
	return h.Get("Apim-Request-Id")
}
