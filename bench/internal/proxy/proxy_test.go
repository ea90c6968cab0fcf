package proxy

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/outcrop/outcrop/bench/internal/upstream"
)

// serveFast serves h on a free loopback port for the test.
func serveFast(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

func serveStd(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// TestFloorsRelay checks that both floors pass a JSON answer through
// whole and an SSE answer event by event, as it is sent.
func TestFloorsRelay(t *testing.T) {
	var o upstream.OpenAI
	up := serveFast(t, o.Handler)
	for name, addr := range map[string]string{
		"fasthttp": serveFast(t, NewFast(up).Handler),
		"httputil": serveStd(t, NewStd(up)),
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Post("http://"+addr+"/v1/chat/completions", "application/json",
				strings.NewReader(`{"model":"bench-chat-d0"}`))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := bufio.NewReader(resp.Body).ReadString(0)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, upstream.AnswerText) {
				t.Errorf("chat: got %d %q, want 200 with the answer", resp.StatusCode, body)
			}
			resp, err = http.Post("http://"+addr+"/v1/chat/completions", "application/json",
				strings.NewReader(`{"model":"bench-sse-n3-g100-d0","stream":true}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			start := time.Now()
			if _, err := r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			// The first event comes at once, not after the stream's 200 ms.
			if d := time.Since(start); d > 80*time.Millisecond {
				t.Errorf("first event after %v, want it flushed at once", d)
			}
			rest, _ := r.ReadString(0)
			if !strings.HasSuffix(rest, "data: [DONE]\n\n") {
				t.Errorf("stream end: got %q, want [DONE]", rest)
			}
		})
	}
}
