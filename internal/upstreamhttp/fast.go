package upstreamhttp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/internal/fasthdr"
)

// Fast is an http.RoundTripper that sends HTTP/1.1 requests through
// fasthttp's connection pools (one HostClient per scheme and host) and
// hands the answer back as an *http.Response whose body streams from the
// connection. It keeps what the gateway needs of net/http's transport:
//
//   - the request's context cancels the call at any point, while waiting
//     for the answer's headers (a model thinking) as well as while its
//     body streams: the connection is closed, so the upstream sees the
//     client leave and stops generating;
//   - a body is read as it arrives (each SSE event or event-stream frame
//     as soon as the upstream sends it);
//   - a request on a pooled connection that the upstream had closed is
//     sent again once on a fresh one when nothing came back;
//   - requests that an environment proxy (HTTP_PROXY, HTTPS_PROXY) applies
//     to go through Fallback, as do those of another protocol than
//     HTTP/1.1 over http or https.
//
// It never follows redirects, adds no Accept-Encoding and decompresses
// nothing, like a tuned net/http transport with DisableCompression.
type Fast struct {
	// Fallback sends what Fast does not: requests through a proxy.
	Fallback http.RoundTripper
	// Proxy says which proxy a request goes through; nil means none. It
	// is asked once per scheme and host, the first request's, as
	// http.ProxyFromEnvironment's answer depends on nothing else.
	Proxy func(*http.Request) (*neturl.URL, error)
	// TLS is the TLS configuration of https hosts; nil: TLS 1.2 or newer
	// with the system roots.
	TLS *tls.Config
	// MaxConnsPerHost caps the connections to one host, idle or busy;
	// requests beyond it wait for one to free up.
	MaxConnsPerHost int
	// IdleTimeout closes pooled connections idle this long; shorter than
	// the upstreams' own idle timeouts (60 s for AWS's load balancers), so
	// that the gateway closes first.
	IdleTimeout time.Duration
	// DialTimeout bounds connecting (and the TLS handshake).
	DialTimeout time.Duration

	mu    sync.RWMutex
	hosts map[hostKey]*upstream
}

// hostKey names an upstream without building a string per request.
type hostKey struct{ scheme, host string }

// upstream is one scheme and host: whether its requests go through a
// proxy (and so through Fallback), and otherwise its connection pool.
type upstream struct {
	hc      *fasthttp.HostClient
	proxied bool
}

// Errors of a response Fast cannot relay.
var (
	errUnsupportedScheme = errors.New("upstreamhttp: unsupported scheme")
	errUpgrade           = errors.New("upstreamhttp: the upstream switched protocols")
)

// RoundTrip sends req and returns the answer's status and headers; the body
// streams from the connection, which returns to the pool when the body was
// read to its end and closed.
func (f *Fast) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		closeBody(req)
		return nil, fmt.Errorf("%w %q", errUnsupportedScheme, req.URL.Scheme)
	}
	up := f.upstream(req)
	if up.proxied {
		return f.Fallback.RoundTrip(req)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	freq := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(freq)
	if err := toFastRequest(req, freq); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		resp, retry, err := f.send(ctx, up.hc, freq, req)
		if err == nil || !retry || attempt > 0 {
			return resp, err
		}
	}
}

// send sends freq on one connection. retry: the connection was a pooled
// one that turned out closed before any byte of an answer came, so the
// request may be sent again on a fresh one.
func (f *Fast) send(ctx context.Context, hc *fasthttp.HostClient, freq *fasthttp.Request, req *http.Request) (*http.Response, bool, error) {
	cc, err := hc.AcquireConn(0, false)
	if err != nil {
		return nil, false, err
	}
	conn := cc.Conn()
	reused := false
	if tc, ok := conn.(*trackedConn); ok {
		reused = tc.used.Swap(true)
	}
	// The answer's body is made first: it also holds the connection and
	// its cancellation, so that a request allocates them once.
	body := &streamBody{hc: hc, conn: conn, ctx: ctx}
	body.put = func(reuse bool) {
		if reuse {
			hc.ReleaseConn(cc)
		} else {
			hc.CloseConn(cc)
		}
	}
	// The cancellation: closing the connection unblocks the write or the
	// read in progress, and tells the upstream that the client left.
	body.stop = context.AfterFunc(ctx, body.cancel)
	// fail closes the connection and returns the error to answer: the
	// context's cause once it fired.
	fail := func(err error, br *bufio.Reader) error {
		body.stop()
		if br != nil {
			hc.ReleaseReader(br)
		}
		hc.CloseConn(cc)
		if body.cancelled.Load() {
			return context.Cause(ctx)
		}
		return err
	}
	// retryable: nothing came back on a pooled connection, which the
	// upstream must have closed while it was idle.
	retryable := func() bool { return reused && !body.cancelled.Load() && ctx.Err() == nil }

	bw := hc.AcquireWriter(conn)
	err = freq.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	hc.ReleaseWriter(bw)
	if err != nil {
		return nil, retryable(), fail(err, nil)
	}

	br := hc.AcquireReader(conn)
	fresp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(fresp)
	fresp.Header.DisableNormalizing()
	for {
		err = fresp.Header.Read(br)
		if err != nil {
			stale := errors.Is(err, io.EOF) && retryable()
			return nil, stale, fail(fmt.Errorf("read response header: %w", err), br)
		}
		// 1xx answers (100 Continue, 103 Early Hints) precede the real one.
		if s := fresp.Header.StatusCode(); s < 100 || s >= 200 || s == http.StatusSwitchingProtocols {
			break
		}
		fresp.Header.Reset()
		fresp.Header.DisableNormalizing()
	}
	status := fresp.Header.StatusCode()
	if status == http.StatusSwitchingProtocols {
		return nil, false, fail(errUpgrade, br)
	}
	resp := &http.Response{
		Status:     statusLine(status),
		StatusCode: status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Request: req,
	}
	var fields fasthdr.Fields
	for k, v := range fresp.Header.All() {
		fields.Add(k, v)
	}
	// The framing: fasthttp counts the special headers itself. A length
	// it parsed stays as the upstream sent it, as net/http keeps it.
	n := fresp.Header.ContentLength()
	if n >= 0 {
		resp.Header = fields.Header("Transfer-Encoding")
	} else {
		resp.Header = fields.Header("Content-Length", "Transfer-Encoding")
	}
	body.br, body.keep = br, !fresp.Header.ConnectionClose()
	switch {
	case req.Method == http.MethodHead || status == http.StatusNoContent || status == http.StatusNotModified:
		resp.ContentLength = 0
		if n > 0 {
			resp.ContentLength = int64(n)
		}
		body.r, body.done = eofReader{}, true
	case n >= 0:
		resp.ContentLength = int64(n)
		body.lr = io.LimitedReader{R: br, N: int64(n)}
		body.r = &body.lr
		body.done = n == 0
	case n == -1: // chunked
		resp.ContentLength = -1
		resp.TransferEncoding = []string{"chunked"}
		if isEventStream(fresp.Header.ContentType()) {
			// A stream may stay open for minutes: it is decoded in its
			// reader's buffer, and fasthttp's reader (which is also the
			// header limit) goes back to the pool once what it took in
			// beyond the header was read.
			body.cr.reset(conn, br, hc.ReleaseReader)
			body.br, body.r = nil, &body.cr
			break
		}
		body.r, body.chunked = httputil.NewChunkedReader(br), true
	default: // no framing: the body ends when the upstream closes
		resp.ContentLength = -1
		body.r, body.keep = br, false
	}
	resp.Close = !body.keep
	resp.Body = body
	if body.done {
		body.finish()
	}
	return resp, false, nil
}

// upstream returns the pool of req's scheme and host, and whether it
// goes through a proxy, made on the first request.
func (f *Fast) upstream(req *http.Request) *upstream {
	u := req.URL
	key := hostKey{u.Scheme, u.Host}
	f.mu.RLock()
	up := f.hosts[key]
	f.mu.RUnlock()
	if up != nil {
		return up
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if up = f.hosts[key]; up != nil {
		return up
	}
	if f.hosts == nil {
		f.hosts = map[hostKey]*upstream{}
	}
	up = &upstream{}
	if f.Proxy != nil && f.Fallback != nil {
		// An error goes to Fallback too, whose own Proxy reports it.
		p, err := f.Proxy(req)
		up.proxied = err != nil || p != nil
	}
	if up.proxied {
		f.hosts[key] = up // no pool: Fallback sends its requests
		return up
	}
	tlsConf := f.TLS
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if u.Scheme == "https" && tlsConf.ServerName == "" {
		tlsConf = tlsConf.Clone()
		tlsConf.ServerName = u.Hostname()
	}
	dialer := &net.Dialer{Timeout: f.DialTimeout, KeepAlive: 30 * time.Second}
	up.hc = &fasthttp.HostClient{
		Addr:                          hostPort(u),
		IsTLS:                         u.Scheme == "https",
		TLSConfig:                     tlsConf,
		MaxConns:                      f.MaxConnsPerHost,
		MaxConnWaitTimeout:            time.Minute,
		MaxIdleConnDuration:           f.IdleTimeout,
		NoDefaultUserAgentHeader:      true,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		Dial: func(addr string) (net.Conn, error) {
			c, err := dialer.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return &trackedConn{Conn: c}, nil
		},
	}
	f.hosts[key] = up
	return up
}

// CloseIdleConnections closes the pooled connections not in use.
func (f *Fast) CloseIdleConnections() {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, up := range f.hosts {
		if up.hc != nil {
			up.hc.CloseIdleConnections()
		}
	}
	if c, ok := f.Fallback.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// hostPort is u's host with the scheme's port when it names none.
func hostPort(u *neturl.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// toFastRequest copies req into freq and closes req's body.
func toFastRequest(req *http.Request, freq *fasthttp.Request) error {
	freq.Header.DisableNormalizing()
	freq.Header.SetNoDefaultContentType(true)
	freq.Header.SetMethod(req.Method)
	freq.SetRequestURI(req.URL.RequestURI())
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	freq.Header.SetHost(host)
	for k, vs := range req.Header {
		if framing(k) {
			continue // set from the request itself
		}
		for _, v := range vs {
			freq.Header.Add(k, v)
		}
	}
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	defer req.Body.Close()
	if _, err := io.Copy(freq.BodyWriter(), req.Body); err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	if req.ContentLength > 0 && int64(len(freq.Body())) != req.ContentLength {
		return fmt.Errorf("upstreamhttp: ContentLength=%d with Body length %d", req.ContentLength, len(freq.Body()))
	}
	return nil
}

// framing reports whether k names a header toFastRequest sets from the
// request itself (without strings.ToLower's copy of every name).
func framing(k string) bool {
	for _, f := range [...]string{"Host", "Content-Length", "Connection", "Transfer-Encoding"} {
		if len(k) == len(f) && strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// trackedConn marks a connection that carried a request, so that a
// failure on it can be told from one on a fresh connection.
type trackedConn struct {
	net.Conn
	used atomic.Bool
}

// streamBody is a response body read from the connection. Closing it
// returns the connection to the pool when the body was read to its end
// (and the upstream keeps it alive), and closes it otherwise. Close may
// come while a Read is blocked, from another goroutine, as net/http's
// bodies allow: it closes the connection, which ends the Read, and the
// Read gives the connection and its reader back once it has returned.
type streamBody struct {
	hc *fasthttp.HostClient
	// put gives the connection back to hc's pool (reuse) or closes it
	// (a function: fasthttp does not name its connection's type).
	put  func(reuse bool)
	conn net.Conn
	br   *bufio.Reader // fasthttp's, nil once an event stream's reader took over
	ctx  context.Context
	// stop ends the watch of ctx (context.AfterFunc's stop); cancelled
	// is set once ctx fired and closed the connection.
	stop      func() bool
	cancelled atomic.Bool

	r       io.Reader
	lr      io.LimitedReader // r for a body of a known length
	cr      chunkedReader    // r for an event stream
	chunked bool             // r decodes chunks; the trailer is left in br
	keep    bool             // the connection may be reused once the body is read

	mu      sync.Mutex
	done    bool  // the body was read to its end
	err     error // the error Read keeps answering
	reading bool  // a Read is using br
	closed  bool
	once    sync.Once
}

func (b *streamBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	switch {
	case b.err != nil:
		b.mu.Unlock()
		return 0, b.err
	case b.done:
		b.mu.Unlock()
		return 0, io.EOF
	case b.reading:
		b.mu.Unlock()
		return 0, errors.New("upstreamhttp: concurrent Read of a response body")
	}
	b.reading = true
	b.mu.Unlock()

	n, err := b.read(p)

	b.mu.Lock()
	b.reading = false
	closed := b.closed
	switch {
	case closed && !b.done:
		// Close came during the Read and closed the connection.
		n, err = 0, b.err
	case errors.Is(err, io.EOF):
		b.done = true
	case err != nil:
		if b.cancelled.Load() {
			err = context.Cause(b.ctx)
		}
		b.err = err
	}
	done := b.done
	b.mu.Unlock()
	switch {
	case closed: // during this Read: the connection was closed under it
		b.releaseOnce(false)
	case done:
		b.finish()
	case err != nil:
		b.releaseOnce(false)
	}
	return n, err
}

// read reads from the connection, turning the end of a Content-Length
// body into io.EOF and a short one into io.ErrUnexpectedEOF, and reading
// a chunked body's trailer.
func (b *streamBody) read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if lr, ok := b.r.(*io.LimitedReader); ok {
		if errors.Is(err, io.EOF) && lr.N > 0 {
			err = io.ErrUnexpectedEOF
		}
		if err == nil && lr.N == 0 {
			err = io.EOF
		}
	}
	if errors.Is(err, io.EOF) && b.chunked {
		if terr := skipTrailer(b.br); terr != nil {
			err = terr
		}
	}
	return n, err
}

// isEventStream reports whether a response's Content-Type is an event
// stream: OpenAI's server-sent events or Bedrock's event stream.
func isEventStream(ct []byte) bool {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = bytes.TrimSpace(ct)
	return bytes.EqualFold(ct, []byte("text/event-stream")) ||
		bytes.EqualFold(ct, []byte("application/vnd.amazon.eventstream"))
}

// skipTrailer reads what follows a chunked body's last chunk: trailer
// fields, which are dropped, up to the empty line that ends the message.
func skipTrailer(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read chunked trailer: %w", err)
		}
		if len(line) <= 2 && strings.TrimRight(string(line), "\r\n") == "" {
			return nil
		}
	}
}

// Close releases the connection: to the pool when the body ended, closed
// otherwise. During a Read it only closes the connection; the Read
// releases it.
func (b *streamBody) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	if b.err == nil {
		b.err = errBodyClosed
	}
	reading, reuse := b.reading, b.done && b.keep
	b.mu.Unlock()
	if reading {
		b.interrupt()
		return nil
	}
	b.releaseOnce(reuse)
	return nil
}

var errBodyClosed = errors.New("http: read on closed response body")

// finish releases the connection as soon as the body has ended, without
// waiting for Close.
func (b *streamBody) finish() { b.releaseOnce(b.keep) }

func (b *streamBody) releaseOnce(reuse bool) { b.once.Do(func() { b.release(reuse) }) }

// release gives the connection back to the pool (reuse) or closes it.
func (b *streamBody) release(reuse bool) {
	if !b.stop() || b.cancelled.Load() {
		reuse = false // the context fired: the connection is closed
	}
	if b.br != nil {
		b.hc.ReleaseReader(b.br)
	}
	if b.cr.held != nil && b.cr.held.Buffered() > 0 {
		reuse = false // bytes beyond the body's end: out of step
	}
	b.cr.release(true)
	b.put(reuse)
}

// cancel runs when the request's context is done: closing the
// connection ends the write or read in progress.
func (b *streamBody) cancel() {
	b.cancelled.Store(true)
	_ = b.conn.Close()
}

// interrupt closes the connection under a blocked Read.
func (b *streamBody) interrupt() { _ = b.conn.Close() }

// statusLine is net/http's Response.Status for a status code; the
// usual one without an allocation.
func statusLine(status int) string {
	if status == http.StatusOK {
		return "200 OK"
	}
	return strconv.Itoa(status) + " " + http.StatusText(status)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
