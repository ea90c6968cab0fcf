package httpserve

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var kinds = []string{FastHTTP, NetHTTP}

// start serves h on a loopback listener with a server of the kind and
// returns its address.
func start(t *testing.T, kind string, h http.Handler, o Options) (string, Server) {
	t.Helper()
	o.Handler = h
	srv, err := New(kind, o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return ln.Addr().String(), srv
}

// dial opens a raw connection, closed with the test.
func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, br *bufio.Reader, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

func waitOrFail(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting: %s", what)
	}
}

// TestRequestAndResponse: what the handler sees of a request, and what
// the client gets of its answer, are the same on both servers.
func TestRequestAndResponse(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "text/plain")
				w.Header().Add("X-Multi", "1")
				w.Header().Add("X-Multi", "2")
				w.WriteHeader(http.StatusCreated)
				w.Header().Set("X-Late", "not sent") // after WriteHeader
				fmt.Fprintf(w, "%s %s %s host=%s len=%d ua=%s x=%q body=%s",
					r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.ContentLength, r.UserAgent(), r.Header["X-Test"], b)
			}), Options{})
			c, br := dial(t, addr)
			fmt.Fprint(c, "POST /v1/chat?a=1&b=%20 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: ua/1\r\nx-test: one\r\nX-Test: two\r\nContent-Length: 5\r\n\r\nhello")
			resp, body := readResponse(t, br, "POST")
			want := `POST /v1/chat a=1&b=%20 host=example.test len=5 ua=ua/1 x=["one" "two"] body=hello`
			if resp.StatusCode != http.StatusCreated || body != want {
				t.Errorf("got %d %q\nwant 201 %q", resp.StatusCode, body, want)
			}
			if resp.ContentLength != int64(len(want)) || len(resp.TransferEncoding) > 0 {
				t.Errorf("Content-Length %d, Transfer-Encoding %v: want the length, unchunked", resp.ContentLength, resp.TransferEncoding)
			}
			if got := resp.Header.Values("X-Multi"); strings.Join(got, ",") != "1,2" {
				t.Errorf("X-Multi %q, want 1,2", got)
			}
			if resp.Header.Get("X-Late") != "" {
				t.Error("a header set after WriteHeader was sent")
			}
			if resp.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

// TestKeepAliveAndPipelining: requests on one connection, one after the
// other and sent together, are all answered, in order, each with the
// client's address.
func TestKeepAliveAndPipelining(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, r.URL.Path+" "+r.RemoteAddr)
			}), Options{})
			c, br := dial(t, addr)
			from := " " + c.LocalAddr().String()
			fmt.Fprint(c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, body := readResponse(t, br, "GET"); body != "/1"+from {
				t.Fatalf("got %q", body)
			}
			fmt.Fprint(c, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\nGET /4 HTTP/1.1\r\nHost: x\r\n\r\n")
			for _, want := range []string{"/2" + from, "/3" + from, "/4" + from} {
				if _, body := readResponse(t, br, "GET"); body != want {
					t.Fatalf("got %q, want %q", body, want)
				}
			}
		})
	}
}

// TestFlushSendsAtOnce: each Flush reaches the client while the handler
// still runs, and the stream ends properly.
func TestFlushSendsAtOnce(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			next := make(chan struct{})
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				rc := http.NewResponseController(w)
				for i := range 3 {
					fmt.Fprintf(w, "data: %d\n\n", i)
					if err := rc.Flush(); err != nil {
						t.Errorf("flush: %v", err)
						return
					}
					<-next
				}
			}), Options{})
			c, br := dial(t, addr)
			fmt.Fprint(c, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			rd := bufio.NewReader(resp.Body)
			for i := range 3 {
				line, err := rd.ReadString('\n')
				if err != nil || line != fmt.Sprintf("data: %d\n", i) {
					t.Fatalf("event %d: got %q, %v", i, line, err)
				}
				_, _ = rd.ReadString('\n')
				next <- struct{}{} // the handler goes on only after the client saw the event
			}
			if rest, err := io.ReadAll(rd); err != nil || len(rest) != 0 {
				t.Fatalf("after the stream: %q, %v", rest, err)
			}
			// The connection is kept for the next request.
			fmt.Fprint(c, "GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
			go func() {
				for range 3 {
					next <- struct{}{}
				}
			}()
			if _, body := readResponse(t, br, "GET"); body != "data: 0\n\ndata: 1\n\ndata: 2\n\n" {
				t.Errorf("second stream: %q", body)
			}
		})
	}
}

// TestClientGoneCancels: a client that closes its connection cancels the
// request's context, before the handler wrote anything and mid-stream.
func TestClientGoneCancels(t *testing.T) {
	for _, kind := range kinds {
		for _, midStream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/midstream=%v", kind, midStream), func(t *testing.T) {
				canceled, started := make(chan struct{}), make(chan struct{})
				addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.ReadAll(r.Body) // net/http watches only once the body is read
					if midStream {
						_, _ = io.WriteString(w, "data: first\n\n")
						w.(http.Flusher).Flush()
					}
					close(started)
					<-r.Context().Done()
					close(canceled)
				}), Options{})
				c, br := dial(t, addr)
				fmt.Fprint(c, "POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
				waitOrFail(t, started, "the handler to start")
				if midStream {
					if _, err := http.ReadResponse(br, &http.Request{Method: http.MethodPost}); err != nil {
						t.Fatal(err)
					}
				}
				_ = c.Close()
				waitOrFail(t, canceled, "the request context to be canceled")
			})
		}
	}
}

// TestRequestContext: the hook's context is the handler's, made from the
// request's headers, for every request on a kept-alive connection, and
// it is still canceled when the client goes away.
func TestRequestContext(t *testing.T) {
	type idKey struct{}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			started, canceled := make(chan struct{}, 1), make(chan struct{}, 1)
			o := Options{RequestContext: func(ctx context.Context, h http.Header) context.Context {
				return context.WithValue(ctx, idKey{}, h.Get("X-Id"))
			}}
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id, _ := r.Context().Value(idKey{}).(string)
				if id != "wait" {
					_, _ = io.WriteString(w, id)
					return
				}
				started <- struct{}{}
				<-r.Context().Done()
				canceled <- struct{}{}
			}), o)
			c, br := dial(t, addr)
			for _, id := range []string{"a", "b"} {
				fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Id: %s\r\n\r\n", id)
				if _, body := readResponse(t, br, http.MethodGet); body != id {
					t.Errorf("request %s: the handler saw %q", id, body)
				}
			}
			fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Id: wait\r\n\r\n")
			waitOrFail(t, started, "the handler to start")
			_ = c.Close()
			waitOrFail(t, canceled, "the request context to be canceled")
		})
	}
}

// TestBodyTooLarge: a body over the limit reaches the handler as a read
// error *http.MaxBytesError, with a declared length or chunked.
func TestBodyTooLarge(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 10))
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					http.Error(w, "too large", http.StatusRequestEntityTooLarge)
					return
				}
				_, _ = io.WriteString(w, "ok")
			}), Options{MaxBodyBytes: 10})
			for _, req := range []string{
				"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n01234567890123456789",
				"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n",
			} {
				c, br := dial(t, addr)
				fmt.Fprint(c, req)
				resp, body := readResponse(t, br, "POST")
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("%q: got %d %q, want 413", req[:40], resp.StatusCode, body)
				}
			}
			c, br := dial(t, addr)
			fmt.Fprint(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789")
			if resp, body := readResponse(t, br, "POST"); resp.StatusCode != http.StatusOK || body != "ok" {
				t.Errorf("a body at the limit: got %d %q", resp.StatusCode, body)
			}
		})
	}
}

// TestMalformedRequests get OpenAI's error envelope from the fasthttp
// server, which answers them before any handler.
func TestMalformedRequests(t *testing.T) {
	addr, _ := start(t, FastHTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("handler called for %s", r.URL)
	}), Options{MaxHeaderBytes: 4096})
	for _, tc := range []struct {
		req    string
		status int
	}{
		{"GARBAGE\r\n\r\n", http.StatusBadRequest},
		{"GET /%zz\xff HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusBadRequest},
		{"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8000) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
	} {
		c, br := dial(t, addr)
		fmt.Fprint(c, tc.req)
		resp, body := readResponse(t, br, "GET")
		if resp.StatusCode != tc.status || !strings.HasPrefix(body, `{"error":{"message":`) ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%.20q: got %d %s %q, want %d and the envelope", tc.req, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status)
		}
	}
}

// TestWholeAnswerFlushedEarly: a Flush after the whole declared body
// sends the answer while the handler goes on; Shutdown waits for it.
func TestWholeAnswerFlushedEarly(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			release, finished := make(chan struct{}), make(chan struct{})
			addr, srv := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "4")
				_, _ = io.WriteString(w, "done")
				w.(http.Flusher).Flush()
				<-release
				close(finished)
			}), Options{})
			c, br := dial(t, addr)
			fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, body := readResponse(t, br, "GET")
			if body != "done" || resp.ContentLength != 4 {
				t.Fatalf("got %q, length %d", body, resp.ContentLength)
			}
			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				shut <- srv.Shutdown(ctx)
			}()
			select {
			case err := <-shut:
				t.Fatalf("Shutdown returned %v before the handler finished", err)
			case <-time.After(100 * time.Millisecond):
			}
			close(release)
			if err := <-shut; err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			select {
			case <-finished:
			default:
				t.Error("Shutdown returned before the handler finished")
			}
		})
	}
}

// TestFlushWithoutBody: a HEAD or a 204 that flushes does not hang.
func TestFlushWithoutBody(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/204" {
					w.WriteHeader(http.StatusNoContent)
				}
				_, _ = io.WriteString(w, "x")
				w.(http.Flusher).Flush()
				_, _ = io.WriteString(w, "y")
				w.(http.Flusher).Flush()
			}), Options{})
			for _, tc := range []struct{ method, path string }{{"HEAD", "/"}, {"GET", "/204"}} {
				c, br := dial(t, addr)
				fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", tc.method, tc.path)
				resp, body := readResponse(t, br, tc.method)
				if body != "" {
					t.Errorf("%s %s: got body %q", tc.method, tc.path, body)
				}
				_ = resp
				fmt.Fprint(c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
				if resp, body := readResponse(t, br, "GET"); resp.StatusCode != http.StatusOK || body != "xy" {
					t.Errorf("after %s %s: got %d %q", tc.method, tc.path, resp.StatusCode, body)
				}
			}
		})
	}
}

// TestPanicCutsTheConnection: a panicking handler gets no answer sent
// and the server goes on serving.
func TestPanicCutsTheConnection(t *testing.T) {
	for name, o := range map[string]Options{"worker": {}, "inline": inlineOpts} {
		t.Run(name, func(t *testing.T) {
			var calls atomic.Int32
			addr, _ := start(t, FastHTTP, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					_, _ = io.WriteString(w, "partial")
					panic(http.ErrAbortHandler)
				}
				_, _ = io.WriteString(w, "ok")
			}), o)
			c, br := dial(t, addr)
			fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, err := http.ReadResponse(br, nil); err == nil {
				t.Error("got a response from a panicking handler")
			}
			c2, br2 := dial(t, addr)
			fmt.Fprint(c2, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if _, body := readResponse(t, br2, "GET"); body != "ok" {
				t.Errorf("after the panic: %q", body)
			}
		})
	}
}

func TestUnknownKind(t *testing.T) {
	if _, err := New("nginx", Options{}); err == nil {
		t.Error("New accepted an unknown kind")
	}
}

// TestHeadersOnlyFlush: a Flush before any body byte sends the headers
// at once, while the handler waits.
func TestHeadersOnlyFlush(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			release := make(chan struct{})
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Early", "yes")
				w.(http.Flusher).Flush()
				<-release
				_, _ = io.WriteString(w, "late")
			}), Options{})
			c, br := dial(t, addr)
			fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("X-Early") != "yes" {
				t.Errorf("X-Early %q", resp.Header.Get("X-Early"))
			}
			close(release)
			if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "late" {
				t.Errorf("body %q, %v", b, err)
			}
		})
	}
}

// TestMultipartBodyAsSent: a multipart body reaches the handler byte for
// byte (fasthttp would otherwise parse it first).
func TestMultipartBodyAsSent(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				_, _ = w.Write(b)
			}), Options{})
			body := "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--x--\r\n"
			c, br := dial(t, addr)
			fmt.Fprintf(c, "POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			if _, got := readResponse(t, br, http.MethodPost); got != body {
				t.Errorf("got %q, want %q", got, body)
			}
		})
	}
}

// TestHTTP10Stream: an HTTP/1.0 client of a flushed answer gets it
// without chunked framing, which it could not read.
func TestHTTP10Stream(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for i := range 3 {
					fmt.Fprintf(w, "data: %d\n\n", i)
					w.(http.Flusher).Flush()
				}
			}), Options{})
			c, br := dial(t, addr)
			fmt.Fprint(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
			resp, body := readResponse(t, br, http.MethodGet)
			if len(resp.TransferEncoding) > 0 || body != "data: 0\n\ndata: 1\n\ndata: 2\n\n" {
				t.Errorf("Transfer-Encoding %v, body %q: want it unchunked, whole", resp.TransferEncoding, body)
			}
		})
	}
}

// TestKeptAliveRequests: on a kept-alive connection, where the fasthttp
// server waits for each next request with a read-ahead, requests that
// arrive in pieces, one with a body many times the read buffer, and one
// whose client then goes away are all served as on a new connection.
func TestKeptAliveRequests(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			canceled := make(chan struct{})
			addr, _ := start(t, kind, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if r.URL.Path == "/wait" {
					_, _ = io.WriteString(w, "data: first\n\n")
					w.(http.Flusher).Flush()
					<-r.Context().Done()
					close(canceled)
					return
				}
				fmt.Fprintf(w, "%s %s %d %x", r.Method, r.URL.Path, len(b), sha(b))
			}), Options{MaxHeaderBytes: 1024, MaxBodyBytes: 1 << 20})
			c, br := dial(t, addr)
			big := strings.Repeat("0123456789abcdef", 8<<10) // 128 KiB
			for i, pieces := range [][]string{
				{"POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"},
				{"PO", "ST /2 HTTP/1.1\r\nHo", "st: x\r\nContent-Length: 5\r\n\r\nhe", "llo"},
				{"POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big},
				{"P", "OST /4 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"},
			} {
				body := strings.SplitN(strings.Join(pieces, ""), "\r\n\r\n", 2)[1]
				for _, p := range pieces {
					fmt.Fprint(c, p)
					time.Sleep(5 * time.Millisecond)
				}
				want := fmt.Sprintf("POST /%d %d %x", i+1, len(body), sha([]byte(body)))
				if resp, got := readResponse(t, br, "POST"); resp.StatusCode != http.StatusOK || got != want {
					t.Fatalf("request %d: got %d %q, want %q", i+1, resp.StatusCode, got, want)
				}
			}
			fmt.Fprint(c, "POST /wait HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
			if _, err := http.ReadResponse(br, &http.Request{Method: http.MethodPost}); err != nil {
				t.Fatal(err)
			}
			_ = c.Close()
			waitOrFail(t, canceled, "the kept-alive request's context to be canceled")
		})
	}
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:4]
}
