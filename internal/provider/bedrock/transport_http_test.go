package bedrock

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/upstreamhttp"
)

// retries records the retries reported for a request.
type retries struct {
	mu  sync.Mutex
	got []provider.Retry
}

func (r *retries) RecordRetry(x provider.Retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, x)
}

func (r *retries) RecordRequestID(string) {}

func (r *retries) list() []provider.Retry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]provider.Retry(nil), r.got...)
}

// recordingContext returns a context carrying a fresh retry recorder.
func recordingContext() (context.Context, *retries) {
	rec := &retries{}
	return provider.WithRecorder(context.Background(), rec), rec
}

// httpClient returns a bearer-authenticated Client for a plain httptest
// server, with a fake clock and sleep and jitter fixed at half the
// ceiling.
func httpClient(t *testing.T, url string, cfg Config) (*Client, *fakeClock) {
	t.Helper()
	cfg.Name, cfg.Endpoint, cfg.APIKey, cfg.Getenv = "test", url, "key", env(nil)
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: time.Now()}
	c.t.retry.rand = func() float64 { return 0.5 }
	c.t.retry.now, c.t.retry.sleep = clk.Now, clk.Sleep
	return c, clk
}

// TestTransportConnectionReset closes the first connection without an
// answer: the call is retried on a new one.
func TestTransportConnectionReset(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"inputTokens":3}`)
	}))
	defer srv.Close()
	c, clk := httpClient(t, srv.URL, Config{})
	ctx, rec := recordingContext()
	resp, err := c.Call(ctx, OpCountTokens, "m:0", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != `{"inputTokens":3}` {
		t.Errorf("body got %s", resp.Body)
	}
	got := rec.list()
	if len(got) != 1 || got[0].Attempt != 1 || !strings.HasPrefix(got[0].Cause, "transport: ") || got[0].Wait != 100*time.Millisecond {
		t.Errorf("retries got %+v, want one transport retry after 100ms", got)
	}
	if diff := cmp.Diff([]time.Duration{100 * time.Millisecond}, clk.sleeps); diff != "" {
		t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
	}
}

// TestTransportRetryAfter checks that a Retry-After header sets the pause.
func TestTransportRetryAfter(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("X-Amzn-ErrorType", CodeThrottling)
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"message":"slow"}`)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c, clk := httpClient(t, srv.URL, Config{})
	ctx, rec := recordingContext()
	if _, err := c.Call(ctx, OpConverse, "m", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	want := []provider.Retry{{Attempt: 1, Cause: "ThrottlingException (HTTP 429)", Wait: 3 * time.Second}}
	if diff := cmp.Diff(want, rec.list()); diff != "" {
		t.Errorf("retries mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{3 * time.Second}, clk.sleeps); diff != "" {
		t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
	}
}

// TestTransportRetryTimeBudget throttles every attempt with a Retry-After
// that the time budget allows once.
func TestTransportRetryTimeBudget(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Amzn-ErrorType", CodeThrottling)
		w.Header().Set("Retry-After", "12")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, _ := httpClient(t, srv.URL, Config{MaxAttempts: 10})
	_, err := c.Call(context.Background(), OpConverse, "m", []byte(`{}`))
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 429 || ue.RetryAfter != 12*time.Second {
		t.Fatalf("got %v, want the 429 with its Retry-After", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("got %d attempts, want 2 (a second retry would end past 20s)", got)
	}
}

// TestTransportHeaderTimeout checks that a server that never answers ends
// in a 504 after the header timeout, without a retry.
func TestTransportHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := httpClient(t, srv.URL, Config{ResponseHeaderTimeout: 20 * time.Millisecond})
	_, err := c.Call(context.Background(), OpConverse, "m", []byte(`{}`))
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) || ue.Status != http.StatusGatewayTimeout {
		t.Fatalf("got %v, want a 504", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("got %d attempts, want 1", got)
	}
}

// TestTransportHeaderTimeoutRetry throttles the first attempt and never
// answers the second: the second attempt gets a wait for its headers of
// its own (the first's ended with its answer), which ends the call in a
// 504 with the header wait's cause.
func TestTransportHeaderTimeoutRetry(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(30 * time.Millisecond)
			w.Header().Set("X-Amzn-ErrorType", CodeThrottling)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := httpClient(t, srv.URL, Config{ResponseHeaderTimeout: 200 * time.Millisecond, MaxAttempts: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a bound if the wait is lost
	defer cancel()
	_, err := c.Call(ctx, OpConverse, "m", []byte(`{}`))
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) || ue.Status != http.StatusGatewayTimeout {
		t.Fatalf("got %v, want a 504", err)
	}
	if !errors.Is(err, c.t.errHeaderTimeout) {
		t.Errorf("got %v, want the header wait's cause (not the caller's deadline)", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("got %d attempts, want 2", got)
	}
}

func TestTransportWrongMethod(t *testing.T) {
	c, _ := httpClient(t, "http://127.0.0.1:1", Config{})
	if _, err := c.Call(context.Background(), OpConverseStream, "m", nil); !errors.Is(err, errStreamingOp) {
		t.Errorf("Call on a stream op got %v, want errStreamingOp", err)
	}
	if _, err := c.Stream(context.Background(), OpConverse, "m", nil); !errors.Is(err, errNotStreamingOp) {
		t.Errorf("Stream on a plain op got %v, want errNotStreamingOp", err)
	}
}

// TestTransportRequest checks what goes on the wire: path, headers, body.
func TestTransportRequest(t *testing.T) {
	type seen struct {
		URI, Auth, ContentType, Accept, BedrockAccept, Body string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.RequestURI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("X-Amzn-Bedrock-Accept"), string(b)}
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	}))
	defer srv.Close()
	c, _ := httpClient(t, srv.URL, Config{})
	s, err := c.Stream(context.Background(), OpInvokeStream, "arn:aws:bedrock:us-east-1:1:inference-profile/us.x:0", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := seen{
		URI:  "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x%3A0/invoke-with-response-stream",
		Auth: "Bearer key", ContentType: "application/json", Accept: "application/vnd.amazon.eventstream",
		BedrockAccept: "application/json", Body: `{"a":1}`,
	}
	if diff := cmp.Diff(want, <-got); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("empty stream got %v, want io.EOF", err)
	}
}

// TestTransportHTTP2 checks that the default transport speaks HTTP/2 to a
// TLS endpoint, as Bedrock's.
func TestTransportHTTP2(t *testing.T) {
	protos := make(chan int, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos <- r.ProtoMajor
		_, _ = io.WriteString(w, `{}`)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	tr := upstreamhttp.NewStd()
	tr.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	c, _ := httpClient(t, srv.URL, Config{Transport: tr})
	if _, err := c.Call(context.Background(), OpCountTokens, "m", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got := <-protos; got != 2 {
		t.Errorf("got HTTP/%d, want HTTP/2", got)
	}
}
