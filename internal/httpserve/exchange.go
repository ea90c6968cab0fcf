package httpserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/internal/fasthdr"
)

// exchange is one request: the http.Request given to the handler and the
// http.ResponseWriter it writes to.
//
// Two goroutines share it: the connection's (fasthttp's, which reads the
// request and writes the response) and the handler's (the connection's
// worker, see watchConn.dispatch). The handler's hands the response over
// once, through handed: when it returns, when it flushes for the first
// time, or when it flushes a whole answer. Meanwhile the connection's
// goroutine watches the socket; after a first Flush it keeps watching
// (in stream.WriteTo) while the handler's goroutine writes the chunks
// itself, through the writer fasthttp gives the stream.
type exchange struct {
	f    *fastServer
	fc   *fasthttp.RequestCtx
	conn *watchConn // nil: not watched
	req  *http.Request
	body *body
	// bodyv is where body points, and urlv the request's URL when it is
	// a plain path: both are made with the exchange.
	bodyv  body
	urlv   url.URL
	cancel context.CancelFunc

	header http.Header
	status int // 0 until WriteHeader (a final status) was called

	handed chan struct{} // signalled once (1-buffered; the connection's)
	mode   mode
	// sync: the handler runs on the connection's goroutine (no watch;
	// Flush is a no-op and the answer goes out whole).
	sync  bool
	abort bool // the handler panicked: cut the connection

	// watch guards the watches of the connection's goroutine against
	// the handler's interrupts; see startWatch.
	watch struct {
		sync.Mutex
		active  bool
		stopped [2]bool // by phase: before the first Flush, streaming
	}

	// Streaming: buf holds what was written since the last Flush; w is
	// fasthttp's chunk writer, which arrives on writer once fasthttp has
	// the headers out (nil: no body may go out); done is closed when the
	// handler has returned.
	buf    []byte
	writer chan io.Writer
	w      io.Writer
	gotW   bool
	done   chan struct{}
	err    error // the write error that ended the stream
	wrote  bool  // WriteTo ran (the connection goroutine's)
}

type mode uint8

const (
	buffered  mode = iota // the body accumulates in fasthttp's Response
	streaming             // headers handed over; chunks follow
	sent                  // the whole answer handed over early
)

// The watch phases.
const (
	phaseHandler = 0 // from the request until the response is handed over
	phaseStream  = 1 // while a stream is written
)

// newExchange builds the request. tooLarge, when set, is the error the
// body's Read returns (the body was over the limit and was not read).
func (f *fastServer) newExchange(fc *fasthttp.RequestCtx, tooLarge error) (*exchange, error) {
	h := &fc.Request.Header
	uri := string(h.RequestURI())
	x := &exchange{f: f, fc: fc}
	u, err := parseRequestURI(uri, &x.urlv)
	if err != nil {
		return nil, fmt.Errorf("malformed request URI: %w", err)
	}
	base := f.opts.BaseContext
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancel(base)
	// r is copied by WithContext: built here, it is not allocated twice.
	r := http.Request{
		Method:     method(fc.Method()),
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       string(h.Host()),
		RemoteAddr: remoteAddr(fc),
		RequestURI: uri,
	}
	if !h.IsHTTP11() {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	var fields fasthdr.Fields
	for k, v := range h.All() {
		fields.Add(k, v)
	}
	r.Header = fields.Header("Host", "Transfer-Encoding")
	x.cancel = cancel
	wc, _ := fc.Conn().(*watchConn)
	if wc != nil {
		// A connection's exchanges take turns: each is handed over
		// before the next is made.
		if wc.handed == nil {
			wc.handed = make(chan struct{}, 1)
		}
		x.handed = wc.handed
	} else {
		x.handed = make(chan struct{}, 1)
	}
	switch b := fc.Request.Body(); {
	case tooLarge != nil:
		r.ContentLength = int64(h.ContentLength())
		x.bodyv.err = tooLarge
		x.body = &x.bodyv
		r.Body = x.body
	case len(b) > 0:
		r.ContentLength = int64(len(b))
		x.bodyv.b = b
		x.body = &x.bodyv
		r.Body = x.body
	default:
		r.Body = http.NoBody
	}
	hctx := ctx
	if rc := f.opts.RequestContext; rc != nil {
		hctx = rc(ctx, r.Header)
	}
	x.req = r.WithContext(hctx)
	if wc != nil && wc.watching() {
		x.conn = wc
	}
	return x, nil
}

// parseRequestURI is url.ParseRequestURI(uri), written into u when uri
// is a plain path (the API's are): only characters that stand for
// themselves in a path, so that the URL is just its Path, with no
// RawPath and no query (TestParseRequestURI checks it against
// ParseRequestURI).
func parseRequestURI(uri string, u *url.URL) (*url.URL, error) {
	if len(uri) == 0 || uri[0] != '/' {
		return url.ParseRequestURI(uri)
	}
	for i := 1; i < len(uri); i++ {
		if !plainPathByte[uri[i]] {
			return url.ParseRequestURI(uri)
		}
	}
	*u = url.URL{Path: uri}
	return u, nil
}

// plainPathByte holds the bytes a path can hold unescaped that
// url.URL.EscapedPath writes back as they are: letters, digits, -._~
// and the sub-delimiters a path keeps.
var plainPathByte = func() (t [256]bool) {
	for c := range 256 {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] = true
		}
	}
	for _, c := range "-._~/:@$&+,;=" {
		t[c] = true
	}
	return t
}()

// remoteAddr is the client's address as a string, formatted once per
// watched connection rather than once per request.
func remoteAddr(fc *fasthttp.RequestCtx) string {
	if wc, ok := fc.Conn().(*watchConn); ok {
		if wc.remote == "" {
			wc.remote = wc.RemoteAddr().String()
		}
		return wc.remote
	}
	return fc.RemoteAddr().String()
}

// method returns the usual methods without an allocation.
func method(m []byte) string {
	switch string(m) {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodHead:
		return http.MethodHead
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	}
	return string(m)
}

// run serves the exchange on the connection's goroutine: the handler
// runs on the connection's worker while this goroutine watches the
// client, until the handler hands the response over.
func (x *exchange) run() {
	x.f.handlers.Add(1)
	if x.conn == nil {
		go x.handle()
		<-x.handed
	} else {
		x.conn.dispatch(x)
		// Most answers that come at once (a refusal, a cached or local
		// answer, a fast upstream) are handed over before the watch
		// would start: it costs a read and two deadline changes.
		if !x.conn.awaitHanded(x.handed) {
			x.conn.rearm() // fasthttp's read deadline must not end the watch
			x.watchClient(phaseHandler)
			<-x.handed
		}
	}
	x.cutIfAborted()
}

// cutIfAborted closes the connection of a handler that panicked before
// its answer was handed over whole, so that none of it goes out.
func (x *exchange) cutIfAborted() {
	if x.abort && x.mode == buffered {
		x.fc.Response.Reset()
		x.fc.SetConnectionClose()
		_ = x.fc.Conn().Close()
	}
}

// runInline serves the exchange on the connection's goroutine, as
// runSync does, but watches the client once the handler has run for
// inlineGrace: the watch then reads the socket on a goroutine of its own
// (the grace timer's), which the handler's hand-over interrupts and
// which has ended before fasthttp reads the connection again.
func (x *exchange) runInline() {
	x.sync = true
	x.f.handlers.Add(1)
	wc := x.conn
	if wc != nil {
		wc.armWatch(x)
	}
	x.handle()
	<-x.handed
	if wc != nil {
		wc.disarmWatch()
	}
	x.cutIfAborted()
}

// runSync serves the exchange on the connection's goroutine.
func (x *exchange) runSync() {
	x.sync, x.conn = true, nil
	x.f.handlers.Add(1)
	x.handle()
	<-x.handed
}

// watchClient watches the socket until the phase is stopped, and
// cancels the request when the client went away. It runs on the
// connection's goroutine.
func (x *exchange) watchClient(phase int) {
	x.watch.Lock()
	if x.watch.stopped[phase] || !x.conn.watching() {
		x.watch.Unlock()
		return
	}
	x.watch.active = true
	x.watch.Unlock()
	gone := x.conn.watch()
	x.watch.Lock()
	x.watch.active = false
	x.watch.Unlock()
	x.conn.rearm() // after any interrupt: those come under the lock while active
	if gone {
		x.cancel()
	}
}

// stopWatch ends the phase's watch: it interrupts the one in progress,
// and keeps one from starting.
func (x *exchange) stopWatch(phase int) {
	if x.conn == nil {
		return
	}
	x.watch.Lock()
	x.watch.stopped[phase] = true
	if x.watch.active {
		x.conn.interrupt()
	}
	x.watch.Unlock()
}

// hand lets the connection's goroutine go on.
func (x *exchange) hand() {
	x.stopWatch(phaseHandler)
	x.handed <- struct{}{}
}

// handle runs the handler and finishes the response.
func (x *exchange) handle() {
	defer x.f.handlers.Done()
	defer x.cancel()
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); !ok || !errors.Is(err, http.ErrAbortHandler) {
				x.f.opts.Logger.Error("panic serving a request", "method", x.req.Method, "path", x.req.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			}
			x.abort = true
		}
		x.finish()
	}()
	x.f.opts.Handler.ServeHTTP(x, x.req)
}

// finish ends the response once the handler has returned.
func (x *exchange) finish() {
	switch x.mode {
	case buffered:
		if x.status == 0 && !x.abort {
			x.WriteHeader(http.StatusOK)
		}
		x.sniff(x.fc.Response.Body())
		x.hand()
	case streaming:
		if len(x.buf) > 0 && x.err == nil && !x.abort {
			_ = x.push()
		}
		close(x.done)
		x.stopWatch(phaseStream)
	case sent:
	}
}

// Header implements http.ResponseWriter.
func (x *exchange) Header() http.Header {
	if x.header == nil {
		x.header = make(http.Header)
	}
	return x.header
}

// WriteHeader implements http.ResponseWriter. The headers are copied to
// fasthttp's response here: later changes are not sent, as with
// net/http.
func (x *exchange) WriteHeader(code int) {
	if x.status != 0 || x.mode != buffered {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 {
		return // informational answers are not relayed
	}
	x.status = code
	rh := &x.fc.Response.Header
	x.fc.SetStatusCode(code)
	for k, vs := range x.header {
		switch k {
		case "Content-Length", "Transfer-Encoding":
			continue
		case "Connection":
			if hasToken(vs, "close") {
				rh.SetConnectionClose()
			}
			continue
		}
		for _, v := range vs {
			rh.Add(k, v)
		}
	}
}

// hasToken reports whether one of the comma-separated values is tok.
func hasToken(vs []string, tok string) bool {
	for _, v := range vs {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// Write implements http.ResponseWriter.
func (x *exchange) Write(p []byte) (int, error) {
	if x.status == 0 {
		x.WriteHeader(http.StatusOK)
	}
	switch x.mode {
	case buffered:
		if !bodyAllowed(x.status) {
			return 0, http.ErrBodyNotAllowed
		}
		x.fc.Response.AppendBody(p)
		return len(p), nil
	case streaming:
		if x.err != nil {
			return 0, x.err
		}
		x.buf = append(x.buf, p...)
		return len(p), nil
	}
	return 0, errAnswerSent
}

var errAnswerSent = errors.New("httpserve: write after the whole answer was sent")

func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

// Flush implements http.Flusher.
func (x *exchange) Flush() { _ = x.FlushError() }

// FlushError is what http.ResponseController.Flush calls: it sends what
// was written so far and reports a client that is gone.
func (x *exchange) FlushError() error {
	if x.status == 0 {
		x.WriteHeader(http.StatusOK)
	}
	switch x.mode {
	case sent:
		return nil
	case streaming:
		if x.err != nil {
			return x.err
		}
		return x.push()
	}
	if x.sync || !x.fc.Request.Header.IsHTTP11() {
		// An HTTP/1.0 client cannot read chunks, and fasthttp streams
		// only chunked: its answer goes out whole, with its length.
		return nil
	}
	resp := &x.fc.Response
	x.sniff(resp.Body())
	if cl, ok := declaredLength(x.header); ok && cl == int64(len(resp.Body())) {
		// The whole answer: it goes out now, with its length, and the
		// handler finishes on its own. Nothing of fasthttp's may be
		// touched after this, the request body included.
		x.mode = sent
		if x.body != nil {
			x.body.detach()
		}
		x.hand()
		return nil
	}
	x.buf = append(x.buf[:0], resp.Body()...)
	resp.ResetBody()
	// Headers alone go out at once; with a first chunk, in one write.
	resp.ImmediateHeaderFlush = len(x.buf) == 0
	x.writer, x.done = make(chan io.Writer, 1), make(chan struct{})
	x.mode = streaming
	resp.SetBodyStream((*stream)(x), -1)
	x.hand()
	return x.push()
}

// declaredLength is the handler's Content-Length header.
func declaredLength(h http.Header) (int64, bool) {
	v := h["Content-Length"]
	if len(v) != 1 {
		return 0, false
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	return n, err == nil && n >= 0
}

// sniff sets the Content-Type net/http would when the handler set none.
func (x *exchange) sniff(b []byte) {
	if len(b) == 0 || !bodyAllowed(x.status) {
		return
	}
	if _, ok := x.header["Content-Type"]; ok {
		return
	}
	x.fc.Response.Header.SetContentType(http.DetectContentType(b))
}

// push writes the buffered bytes as one chunk, flushed, on the
// handler's goroutine.
func (x *exchange) push() error {
	if len(x.buf) == 0 {
		return nil
	}
	if !x.gotW {
		x.w, x.gotW = <-x.writer, true
		if x.w == nil {
			x.err = http.ErrBodyNotAllowed
		}
	}
	if x.err != nil {
		return x.err
	}
	_, err := x.w.Write(x.buf)
	x.buf = x.buf[:0]
	if err != nil {
		x.err = err
		x.cancel()
	}
	return err
}

// stream is the response body fasthttp writes once the handler has
// flushed. fasthttp calls WriteTo on the connection's goroutine with
// the headers in its buffer; the chunk writer goes to the handler's
// goroutine, which writes (fasthttp frames and flushes each Write),
// while this goroutine watches the client until the handler returns.
type stream exchange

// SupportsBodyWriteTo tells fasthttp to call WriteTo.
func (s *stream) SupportsBodyWriteTo() bool { return true }

// Read is never called (fasthttp uses WriteTo); a body stream must be
// an io.Reader.
func (s *stream) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func (s *stream) WriteTo(w io.Writer) (int64, error) {
	x := (*exchange)(s)
	x.wrote = true
	x.writer <- w
	if x.conn != nil {
		x.watchClient(phaseStream)
	}
	<-x.done
	switch {
	case x.abort:
		return 0, http.ErrAbortHandler
	case x.err != nil:
		return 0, x.err
	}
	return 0, nil
}

// Close is called once fasthttp is done with the body: after WriteTo, or
// instead of it when no body may go out (a HEAD, a 204). Then the
// handler's writes are refused, and the connection's goroutine waits
// for the handler so that nothing of the request is reused under it.
func (s *stream) Close() error {
	x := (*exchange)(s)
	if !x.wrote {
		x.writer <- nil
		<-x.done
	}
	return nil
}

// body is a request body over fasthttp's buffer, which it stops reading
// once detached (the answer went out early and fasthttp may reuse it).
type body struct {
	b   []byte
	err error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(b.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.b)
	b.b = b.b[n:]
	return n, nil
}

func (b *body) Close() error { return nil }

func (b *body) detach() { b.b = nil }
