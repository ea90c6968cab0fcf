package bedrock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/outcrop/outcrop/internal/provider"
)

// Media types of request and response bodies.
const (
	contentJSON        = "application/json"
	contentEventStream = "application/vnd.amazon.eventstream"
	userAgent          = "outcrop"
)

// sharedValue holds the values of the headers every request carries,
// shared by the requests' header maps (see newRequest).
var sharedValue = struct{ json, eventStream, userAgent []string }{
	[]string{contentJSON}, []string{contentEventStream}, []string{userAgent},
}

// transport sends calls to Bedrock Runtime: it builds, authenticates,
// retries and classifies requests. It is read-only after New.
type transport struct {
	name  string
	base  *url.URL
	auth  authenticator
	rt    http.RoundTripper
	retry retryPolicy
	// Limits; see Config. Zero means none.
	timeout, headerTimeout, idleTimeout time.Duration
	// Causes given to a call's context when a limit ends it; each wraps
	// context.DeadlineExceeded so that provider.Transport reports a
	// timeout (504).
	errTimeout, errHeaderTimeout, errIdle error
}

func (t *transport) initLimits() {
	t.errTimeout = fmt.Errorf("request not finished within %v: %w", t.timeout, context.DeadlineExceeded)
	t.errHeaderTimeout = fmt.Errorf("no response header within %v: %w", t.headerTimeout, context.DeadlineExceeded)
	t.errIdle = fmt.Errorf("no event within %v: %w", t.idleTimeout, context.DeadlineExceeded)
}

// call is one request to Bedrock, every attempt included: its context and
// its limits (the whole call's timeout, each attempt's wait for its
// headers, on one timer). parent is the caller's context, kept to tell
// the caller's cancellation from the transport's own limits.
type call struct {
	parent context.Context
	ctx    context.Context
	cancel context.CancelCauseFunc
	limits provider.CallTimer
}

// newCall starts a call; its first attempt's wait for the headers counts
// from here.
func (t *transport) newCall(parent context.Context) *call {
	cl := &call{parent: parent}
	cl.ctx, cl.cancel = context.WithCancelCause(parent)
	cl.limits.Start(cl.cancel, t.timeout, t.errTimeout, t.headerTimeout, t.errHeaderTimeout)
	return cl
}

// deadline is when the call must be over: its own limit or the caller's,
// whichever is first; zero when neither has one.
func (cl *call) deadline() time.Time {
	d, ok := cl.limits.Deadline()
	if pd, pok := cl.parent.Deadline(); pok && (!ok || pd.Before(d)) {
		d = pd
	}
	return d
}

// release ends the call's context; safe to call more than once.
func (cl *call) release() {
	cl.cancel(nil)
	cl.limits.Stop()
}

// fail turns a transport or read error into what the caller sees: the
// caller's own context error when it gave up, else a classified
// *provider.UpstreamError (504 on a timeout, 502 otherwise).
func (t *transport) fail(cl *call, err error) error {
	switch perr := cl.parent.Err(); {
	case errors.Is(perr, context.Canceled):
		return fmt.Errorf("bedrock %s: %w", t.name, perr)
	case perr != nil:
		err = perr
	case cl.ctx.Err() != nil:
		// One of our own limits ended the request; its cause says which.
		if cause := context.Cause(cl.ctx); cause != nil {
			err = cause
		}
	}
	return fmt.Errorf("bedrock %s: %w", t.name, provider.Transport(cl.parent, err))
}

// wrap names the deployment in an error.
func (t *transport) wrap(err error) error {
	return fmt.Errorf("bedrock %s: %w", t.name, err)
}

// outRequest is what every attempt of a call sends.
type outRequest struct {
	op      Operation
	modelID string
	body    []byte
	hash    string // from authenticator.prepare
	stream  bool
	// header holds extra request headers (InvokeModel's guardrail
	// bindings, wire.md §1.2), set after the defaults and signed with
	// them.
	header http.Header
}

// failure is a failed attempt: the error for the caller, and whether and
// how it may be retried.
type failure struct {
	err    error
	retry  bool
	advice time.Duration // the upstream's Retry-After
	cause  string        // for the access log
}

// send makes the attempts of a call until one gets a 2xx status, a failure
// is not worth retrying, or the retry budget is spent. Each retry is
// reported with provider.RecordRetry. On success the caller owns the
// response body and must release the call; on failure the call is
// released.
func (t *transport) send(cl *call, r *outRequest) (*http.Response, error) {
	start := t.retry.now()
	deadline := cl.deadline()
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			cl.limits.AwaitHeader()
		}
		resp, f := t.attempt(cl, r)
		if f == nil {
			return resp, nil
		}
		wait, ok := time.Duration(0), false
		if f.retry {
			wait, ok = t.retry.wait(attempt, t.retry.now().Sub(start), f.advice, deadline)
		}
		if !ok {
			cl.release()
			return nil, f.err
		}
		provider.RecordRetry(cl.parent, provider.Retry{Attempt: attempt, Cause: f.cause, Wait: wait})
		if err := t.retry.sleep(cl.ctx, wait); err != nil {
			err = t.fail(cl, err)
			cl.release()
			return nil, err
		}
	}
}

// attempt sends r once.
func (t *transport) attempt(cl *call, r *outRequest) (*http.Response, *failure) {
	req := t.newRequest(cl.ctx, r)
	if err := t.auth.authenticate(cl.ctx, req, r.hash); err != nil {
		return nil, &failure{err: t.wrap(err)}
	}
	resp, err := t.rt.RoundTrip(req)
	cl.limits.HeaderDone()
	if err != nil {
		return nil, t.transportFailure(cl, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, t.statusFailure(cl, resp)
	}
	return resp, nil
}

// newRequest builds one attempt's request by hand rather than with
// http.NewRequestWithContext, which would parse the URL back. The header
// map and URL are fresh each time: the signer writes to both. The values
// of the usual headers are shared (sharedValue), as nothing changes a
// header's value in place: the signer adds fields and reads the rest.
func (t *transport) newRequest(ctx context.Context, r *outRequest) *http.Request {
	u := modelURL(t.base, r.op, r.modelID)
	h := make(http.Header, 8)
	h["Content-Type"] = sharedValue.json
	h["User-Agent"] = sharedValue.userAgent
	switch {
	case r.op == OpInvokeStream:
		// The stream operation names the model's answer type in its own
		// header; Accept is the event-stream (wire.md §1.2).
		h["X-Amzn-Bedrock-Accept"] = sharedValue.json
		h["Accept"] = sharedValue.eventStream
	case r.stream:
		h["Accept"] = sharedValue.eventStream
	default:
		h["Accept"] = sharedValue.json
	}
	for k, v := range r.header {
		h[k] = v
	}
	req := &http.Request{
		Method: http.MethodPost, URL: u, Host: u.Host, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
	rb := newOutBody(r.body)
	req.Body, req.GetBody, req.ContentLength = rb, rb.rewind, int64(len(r.body))
	if len(r.body) == 0 {
		req.Body, req.GetBody = http.NoBody, nil
	}
	return req.WithContext(ctx)
}

// transportFailure classifies an error from RoundTrip. A connection that
// failed or was reset is retried; a timeout is not (Bedrock may have
// generated, and billed, the answer), nor is anything once the caller gave
// up or the call's own limits ended it.
func (t *transport) transportFailure(cl *call, err error) *failure {
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	retry := cl.ctx.Err() == nil && !timeout && !errors.Is(err, context.DeadlineExceeded)
	var ue *url.Error
	cause := err
	if errors.As(err, &ue) {
		cause = ue.Err // the URL is noise in the access log
	}
	return &failure{err: t.fail(cl, err), retry: retry, cause: "transport: " + cause.Error()}
}

// statusFailure reads and closes a non-2xx response and classifies it.
func (t *transport) statusFailure(cl *call, resp *http.Response) *failure {
	defer resp.Body.Close()
	body, err := readBody(resp.Body, resp.ContentLength, maxErrorBody)
	if err != nil && !errors.Is(err, errTooLarge) {
		return t.transportFailure(cl, err)
	}
	ue, retry, advice := responseError(resp.StatusCode, resp.Header, body)
	cause := "HTTP " + strconv.Itoa(resp.StatusCode)
	var api *APIError
	if errors.As(ue, &api) && api.Code != "" {
		cause = api.Code + " (" + cause + ")"
	}
	return &failure{err: t.wrap(ue), retry: retry, advice: advice, cause: cause}
}

// outBody is an outgoing body that the transport can rewind to resend a
// request whose connection turned out to be dead.
type outBody struct {
	bytes.Reader
	data []byte
}

func newOutBody(data []byte) *outBody {
	b := &outBody{data: data}
	b.Reset(data)
	return b
}

func (b *outBody) Close() error { return nil }

func (b *outBody) rewind() (io.ReadCloser, error) { return newOutBody(b.data), nil }

// Caps on what is read of a response. A Converse answer is at most a few
// hundred kilobytes of text; InvokeModel answers of image models carry
// base64 images of several megabytes.
const (
	maxErrorBody = 1 << 20
	maxBody      = 256 << 20
)

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
