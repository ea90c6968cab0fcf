package upstreamhttp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/upstreamhttp"
)

// server is an httptest server that counts the connections it accepted.
type server struct {
	*httptest.Server
	conns atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func newFast(t *testing.T) *upstreamhttp.Fast {
	t.Helper()
	f := upstreamhttp.NewFast()
	t.Cleanup(f.CloseIdleConnections)
	return f
}

func do(t *testing.T, rt http.RoundTripper, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func newRequest(ctx context.Context, t *testing.T, method, u, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestRequestAndAnswer checks what reaches the upstream (method, path and
// query, Host, headers with several values, body) and what comes back
// (status, headers, length, body), over one kept-alive connection.
func TestRequestAndAnswer(t *testing.T) {
	type seen struct {
		method, uri, host, body string
		header                  http.Header
		contentLength           int64
	}
	got := make(chan seen, 10)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, r.Host, string(b), r.Header.Clone(), r.ContentLength}
		w.Header().Set("X-Amzn-Requestid", "rid-1")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	f := newFast(t)
	for i := range 3 {
		req := newRequest(context.Background(), t, http.MethodPost, s.URL+"/v1/chat/completions?api-version=2024-10-21", `{"model":"m"}`)
		req.Header.Set("Authorization", "Bearer sk-x")
		req.Header.Add("X-Amz-Date", "20261203T000000Z")
		req.Header["x-lower"] = []string{"1", "2"}
		// The framing is the request's own, whatever the map says.
		req.Header["content-length"] = []string{"999"}
		req.Header.Set("Connection", "close")
		req.Header["host"] = []string{"elsewhere"}
		if i == 2 {
			req.Host = "bedrock-runtime.us-east-1.amazonaws.com"
		}
		resp, body := do(t, f, req)
		if resp.StatusCode != http.StatusCreated || body != `{"ok":true}` || resp.ContentLength != int64(len(body)) {
			t.Fatalf("got %d %q (length %d)", resp.StatusCode, body, resp.ContentLength)
		}
		if resp.Header.Get("X-Amzn-Requestid") != "rid-1" || strings.Join(resp.Header.Values("X-Multi"), ",") != "a,b" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("response headers: %v", resp.Header)
		}
		// As net/http's Transport: the length stays among the headers,
		// once.
		if cl := resp.Header.Values("Content-Length"); len(cl) != 1 || cl[0] != "11" {
			t.Errorf("Content-Length header %q, want [11]", cl)
		}
		r := <-got
		wantHost := strings.TrimPrefix(s.URL, "http://")
		if i == 2 {
			wantHost = "bedrock-runtime.us-east-1.amazonaws.com"
		}
		if r.method != http.MethodPost || r.uri != "/v1/chat/completions?api-version=2024-10-21" || r.host != wantHost || r.body != `{"model":"m"}` || r.contentLength != 13 {
			t.Errorf("upstream saw %+v", r)
		}
		if r.header.Get("Authorization") != "Bearer sk-x" || r.header.Get("X-Amz-Date") != "20261203T000000Z" || strings.Join(r.header.Values("X-Lower"), ",") != "1,2" {
			t.Errorf("upstream headers: %v", r.header)
		}
		if ua := r.header.Get("User-Agent"); ua != "" {
			t.Errorf("a User-Agent was added: %q", ua)
		}
		if ae := r.header.Get("Accept-Encoding"); ae != "" {
			t.Errorf("an Accept-Encoding was added: %q", ae)
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 requests in turn, want 1", n)
	}
}

// TestStreams reads a chunked answer as it is sent: each chunk arrives
// before the server writes the next, and the connection is reused after
// the last chunk and a trailer.
func TestStreams(t *testing.T) {
	next := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Trailer", "X-Done")
		for i := range 3 {
			_, _ = io.WriteString(w, "data: "+string(rune('a'+i))+"\n\n")
			w.(http.Flusher).Flush()
			<-next
		}
		w.Header().Set("X-Done", "yes")
	})
	f := newFast(t)
	for range 2 {
		resp, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodGet, s.URL, ""))
		if err != nil {
			t.Fatal(err)
		}
		if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" || resp.Header.Get("Transfer-Encoding") != "" {
			t.Errorf("ContentLength %d, headers %v; want -1 (chunked) and no framing headers", resp.ContentLength, resp.Header)
		}
		br := bufio.NewReader(resp.Body)
		for i := range 3 {
			line, err := br.ReadString('\n')
			if err != nil || line != "data: "+string(rune('a'+i))+"\n" {
				t.Fatalf("event %d: %q, %v", i, line, err)
			}
			_, _ = br.ReadString('\n')
			next <- struct{}{}
		}
		if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
			t.Fatalf("after the events: %q, %v", rest, err)
		}
		_ = resp.Body.Close()
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections for 2 streams in turn, want 1", n)
	}
}

// bodyTypes are the content types of the streamed bodies the tests read:
// an event stream gets its own reader (chunkedReader), any other type
// fasthttp's.
var bodyTypes = []string{"text/plain", "text/event-stream"}

// TestCancel cancels a call while the upstream has not answered yet, and
// while its body streams: each time RoundTrip or Read returns the
// context's error at once and the upstream sees its client leave.
func TestCancel(t *testing.T) {
	for _, ct := range bodyTypes {
		t.Run(ct, func(t *testing.T) {
			left := make(chan string, 2)
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				// net/http notices a client leaving once the body is read.
				_, _ = io.ReadAll(r.Body)
				if r.URL.Path == "/body" {
					w.Header().Set("Content-Type", ct)
					_, _ = io.WriteString(w, "data: 1\n\n")
					w.(http.Flusher).Flush()
				}
				select {
				case <-r.Context().Done():
					left <- r.URL.Path
				case <-time.After(10 * time.Second):
				}
			})
			f := newFast(t)

			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := f.RoundTrip(newRequest(ctx, t, http.MethodPost, s.URL+"/header", "{}"))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("waiting for the header: %v, want context.Canceled", err)
			}
			if p := waitFor(t, left); p != "/header" {
				t.Fatalf("the upstream saw %s leave", p)
			}

			ctx, cancel = context.WithCancel(context.Background())
			resp, err := f.RoundTrip(newRequest(ctx, t, http.MethodPost, s.URL+"/body", "{}"))
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			if n, err := resp.Body.Read(buf); err != nil || string(buf[:n]) != "data: 1\n\n" {
				t.Fatalf("first event: %q, %v", buf[:n], err)
			}
			time.AfterFunc(50*time.Millisecond, cancel)
			if _, err := resp.Body.Read(buf); !errors.Is(err, context.Canceled) {
				t.Fatalf("read while cancelled: %v, want context.Canceled", err)
			}
			_ = resp.Body.Close()
			if p := waitFor(t, left); p != "/body" {
				t.Fatalf("the upstream saw %s leave", p)
			}

			// A deadline is a cause like any other.
			ctx, cancelT := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancelT()
			if _, err := f.RoundTrip(newRequest(ctx, t, http.MethodGet, s.URL+"/header", "")); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("deadline: %v, want context.DeadlineExceeded", err)
			}
			waitFor(t, left)
		})
	}
}

func waitFor(t *testing.T, c chan string) string {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream never saw the client leave")
		return ""
	}
}

// TestStaleConnection: the upstream closes the pooled connection while
// it is idle; the next request is sent again on a fresh one.
func TestStaleConnection(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	f := newFast(t)
	for i := range 3 {
		if _, body := do(t, f, newRequest(context.Background(), t, http.MethodPost, s.URL, "x")); body != "ok" {
			t.Fatalf("request %d: %q", i, body)
		}
		s.CloseClientConnections()
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

// TestBodyNotRead: a body closed before its end takes its connection
// with it; one read to its end leaves it in the pool.
func TestBodyNotRead(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, strings.Repeat("x", 100_000)) })
	f := newFast(t)
	resp, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodGet, s.URL, ""))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = resp.Body.Read(make([]byte, 10))
	_ = resp.Body.Close()
	if _, err := resp.Body.Read(make([]byte, 10)); err == nil {
		t.Error("read after Close succeeded")
	}
	do(t, f, newRequest(context.Background(), t, http.MethodGet, s.URL, ""))
	do(t, f, newRequest(context.Background(), t, http.MethodGet, s.URL, ""))
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the abandoned one closed, the read one reused)", n)
	}
}

// TestCloseDuringRead closes a body from another goroutine while a Read
// waits for the upstream: the Read ends at once and the connection is not
// reused.
func TestCloseDuringRead(t *testing.T) {
	for _, ct := range bodyTypes {
		t.Run(ct, func(t *testing.T) {
			release := make(chan struct{})
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				_, _ = io.WriteString(w, "data: 1\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-release:
				}
			})
			defer close(release)
			f := newFast(t)
			resp, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodGet, s.URL, ""))
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			if _, err := resp.Body.Read(buf); err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(50*time.Millisecond, func() { _ = resp.Body.Close() })
			done := make(chan error, 1)
			go func() {
				_, err := resp.Body.Read(buf)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil {
					t.Error("the Read interrupted by Close succeeded")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not end the blocked Read")
			}
			do(t, f, newRequest(context.Background(), t, http.MethodHead, s.URL, ""))
			if n := s.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2 (the interrupted one not reused)", n)
			}
		})
	}
}

// TestNoBodyAnswers: HEAD, 204 and 304 answers have no body to wait for.
func TestNoBodyAnswers(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "5")
		}
	})
	f := newFast(t)
	for _, c := range []struct{ method, path string }{{http.MethodHead, "/"}, {http.MethodGet, "/204"}, {http.MethodGet, "/304"}, {http.MethodHead, "/"}} {
		resp, body := do(t, f, newRequest(context.Background(), t, c.method, s.URL+c.path, ""))
		if body != "" {
			t.Errorf("%s %s: body %q", c.method, c.path, body)
		}
		if c.method == http.MethodHead && (resp.ContentLength != 5 || resp.Header.Get("Content-Length") != "5") {
			t.Errorf("HEAD: ContentLength %d, header %q, want 5", resp.ContentLength, resp.Header.Get("Content-Length"))
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestTruncatedBody: an upstream that closes before its Content-Length is
// an unexpected EOF, not a short success.
func TestTruncatedBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = bufio.NewReader(c).ReadString('\n')
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
		_ = c.Close()
	}()
	f := newFast(t)
	resp, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodGet, "http://"+ln.Addr().String()+"/", ""))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read %q, %v; want io.ErrUnexpectedEOF", b, err)
	}
}

// TestTLS speaks HTTPS with the configured roots.
func TestTLS(t *testing.T) {
	s := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	defer s.Close()
	f := newFast(t)
	f.TLS = s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	if _, body := do(t, f, newRequest(context.Background(), t, http.MethodGet, s.URL, "")); body != "HTTP/1.1" {
		t.Errorf("got %q", body)
	}
}

// recorder is a RoundTripper that answers 200 and counts its calls.
type recorder struct{ n atomic.Int32 }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.n.Add(1)
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

// TestProxyFallback sends requests a proxy applies to through Fallback.
func TestProxyFallback(t *testing.T) {
	rec := &recorder{}
	f := newFast(t)
	f.Fallback = rec
	var asked atomic.Int32
	f.Proxy = func(r *http.Request) (*url.URL, error) {
		asked.Add(1)
		if r.URL.Host == "via.proxy" {
			return url.Parse("http://proxy:3128")
		}
		return nil, nil
	}
	for range 2 {
		if _, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodGet, "http://via.proxy/x", "")); err != nil {
			t.Fatal(err)
		}
	}
	if rec.n.Load() != 2 {
		t.Errorf("fallback used %d times, want 2", rec.n.Load())
	}
	if asked.Load() != 1 {
		t.Errorf("Proxy asked %d times for one host, want once", asked.Load())
	}
	if _, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodGet, "ftp://x/", "")); err == nil {
		t.Error("ftp: no error")
	}
}

// TestConcurrent runs many calls at once on one host: each gets its own
// answer.
func TestConcurrent(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	})
	f := newFast(t)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			for j := range 20 {
				want := strings.Repeat(string(rune('a'+i%26)), 1+j*100)
				resp, err := f.RoundTrip(newRequest(context.Background(), t, http.MethodPost, s.URL, want))
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if err != nil || string(b) != want {
					t.Errorf("got %d bytes, %v; want %d", len(b), err, len(want))
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestUse refuses an unknown client name.
func TestUse(t *testing.T) {
	if err := upstreamhttp.Use("curl"); err == nil {
		t.Error("Use(curl): no error")
	}
	if err := upstreamhttp.Use(upstreamhttp.ClientFast); err != nil {
		t.Error(err)
	}
}
