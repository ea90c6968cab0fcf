package httpserve

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// inlineOpts runs inline every request whose path does not start with
// /stream.
var inlineOpts = Options{Inline: func(r *http.Request, _ []byte) bool { return !strings.HasPrefix(r.URL.Path, "/stream") }}

// TestInlineAnswerGoesOutWhole: an inline handler's Flush sends nothing
// early; its answer goes out whole, with its length (a handler on a
// goroutine of its own would stream it chunked), and the body reached
// it.
func TestInlineAnswerGoesOutWhole(t *testing.T) {
	var seen atomic.Value
	addr, _ := start(t, FastHTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen.Store(string(b))
		_, _ = io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "data: 2\n\n")
	}), inlineOpts)
	c, br := dial(t, addr)
	fmt.Fprint(c, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	resp, body := readResponse(t, br, "POST")
	if body != "data: 1\n\ndata: 2\n\n" || resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
		t.Errorf("got %q, Content-Length %d, Transfer-Encoding %v; want the whole answer with its length", body, resp.ContentLength, resp.TransferEncoding)
	}
	if got := seen.Load(); got != "hello" {
		t.Errorf("the handler read %q, want hello", got)
	}
	// A request the hook leaves out still streams, on the same connection.
	fmt.Fprint(c, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body = readResponse(t, br, "GET")
	if body != "data: 1\n\ndata: 2\n\n" || len(resp.TransferEncoding) == 0 {
		t.Errorf("stream: got %q, Transfer-Encoding %v; want chunked", body, resp.TransferEncoding)
	}
}

// TestInlineClientGoneCancels: an inline handler still learns that its
// client went away, once it has run past the watch's grace.
func TestInlineClientGoneCancels(t *testing.T) {
	canceled, started := make(chan struct{}), make(chan struct{})
	addr, _ := start(t, FastHTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(canceled)
	}), inlineOpts)
	c, _ := dial(t, addr)
	fmt.Fprint(c, "POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	waitOrFail(t, started, "the handler to start")
	time.Sleep(2 * inlineGrace) // the watch has begun
	_ = c.Close()
	waitOrFail(t, canceled, "the request context to be canceled")
}

// TestInlineWatchAndPipelining: requests that outlast the grace (so that
// the watch reads the socket) and requests already pipelined behind them
// are all answered, in order, on one connection; the watch's read-ahead
// goes back to fasthttp, and a watch never reads while fasthttp does.
func TestInlineWatchAndPipelining(t *testing.T) {
	addr, _ := start(t, FastHTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.HasPrefix(r.URL.Path, "/slow") {
			time.Sleep(2 * inlineGrace)
		}
		fmt.Fprintf(w, "%s %s", r.URL.Path, b)
	}), inlineOpts)
	c, br := dial(t, addr)
	var all strings.Builder
	var want []string
	for i := range 12 {
		path := fmt.Sprintf("/fast%d", i)
		if i%3 == 0 {
			path = fmt.Sprintf("/slow%d", i)
		}
		fmt.Fprintf(&all, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nb%02d", path, i)
		want = append(want, fmt.Sprintf("%s b%02d", path, i))
	}
	// Half at once, then the rest while the first slow one runs.
	half := all.String()[:all.Len()/2]
	fmt.Fprint(c, half)
	time.Sleep(inlineGrace / 2)
	fmt.Fprint(c, all.String()[len(half):])
	for i, w := range want {
		if _, body := readResponse(t, br, "POST"); body != w {
			t.Fatalf("answer %d: got %q, want %q", i, body, w)
		}
	}
	// The connection is still served after a slow answer.
	fmt.Fprint(c, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz")
	if _, body := readResponse(t, br, "POST"); body != "/slow z" {
		t.Fatalf("last: got %q", body)
	}
}

// TestInlineGraceRaces: handlers that end about when the watch begins,
// so that hand-overs meet watches starting, being interrupted or not yet
// begun, on one connection after the other request; each answer is
// whole and in order.
func TestInlineGraceRaces(t *testing.T) {
	var n atomic.Int64
	addr, _ := start(t, FastHTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(n.Add(1)%7) * inlineGrace / 3)
		_, _ = io.WriteString(w, r.URL.Path)
	}), inlineOpts)
	c, br := dial(t, addr)
	for i := range 100 {
		fmt.Fprintf(c, "GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
		if _, body := readResponse(t, br, "GET"); body != fmt.Sprintf("/r%d", i) {
			t.Fatalf("answer %d: got %q", i, body)
		}
	}
}
