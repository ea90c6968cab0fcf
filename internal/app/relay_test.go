package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// relayConfig returns a configuration with one upstream of the given type
// at base and the listed public models served by it under the same names.
func relayConfig(t testing.TB, typ, base string, extra string, models ...string) *config.Config {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "upstreams:\n  - name: emu\n    type: %s\n    base_url: %s\n    api_key: test-key\n", typ, base)
	if typ == "azure" {
		b.WriteString("    api_version: 2024-12-01-preview\n")
	}
	b.WriteString(extra)
	b.WriteString("models:\n")
	for _, m := range models {
		fmt.Fprintf(&b, "  - name: %q\n    deployments: [{upstream: emu}]\n", m)
	}
	cfg, err := config.Parse([]byte(b.String()), func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, b.String())
	}
	return cfg
}

func post(t testing.TB, url string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, got
}

// modelOf returns the `model` of a JSON request body.
func modelOf(t testing.TB, body []byte) string {
	t.Helper()
	var v struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	return v.Model
}

// TestRelayReplaysRecordedTraffic sends each recorded request through the
// gateway to an emulator replaying the recorded answer: the client must get
// the recorded status and body byte for byte, and the upstream must get the
// client's body unchanged.
func TestRelayReplaysRecordedTraffic(t *testing.T) {
	tests := []struct {
		cassette, typ, path string
		// body replaces the recorded request, for a recording whose request
		// the gateway itself rejects before it reaches the upstream.
		body string
	}{
		{"chat-basic", "openai", "/v1/chat/completions", ""},
		{"chat-tools", "openai", "/v1/chat/completions", ""},
		{"chat-parallel-tools", "openai", "/v1/chat/completions", ""},
		{"chat-json-mode", "openai", "/v1/chat/completions", ""},
		{"chat-multimodal", "openai", "/v1/chat/completions", ""},
		{"chat-reasoning", "openai", "/v1/chat/completions", ""},
		{
			"chat-bad-request", "openai", "/v1/chat/completions",
			`{"model":"gpt-5-nano","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
		},
		{"chat-unknown-model", "openai", "/v1/chat/completions", ""},
		{"completion-basic", "openai", "/v1/completions", ""},
		{"embeddings-basic", "openai", "/v1/embeddings", ""},
		{"embeddings-base64", "openai", "/v1/embeddings", ""},
		{"embeddings-dimensions", "openai", "/v1/embeddings", ""},
		{"azure-chat-basic", "azure", "/v1/chat/completions", ""},
	}
	for _, tt := range tests {
		t.Run(tt.cassette, func(t *testing.T) {
			c := openaitest.MustCassette(t, tt.cassette)
			it := c.Interactions[0]
			if tt.body != "" {
				it.Request.Body = []byte(tt.body)
			}
			emu := openaitest.New(t, openaitest.WithCassette(c))
			base := emu.OpenAIBase()
			if tt.typ == "azure" {
				base = emu.URL()
			}
			model := modelOf(t, it.Request.Body)
			gw, _ := startGateway(t, relayConfig(t, tt.typ, base, "", model))
			resp, got := post(t, gw+tt.path, it.Request.Body)
			if resp.StatusCode != it.Response.Code {
				t.Fatalf("got status %d, want %d: %s", resp.StatusCode, it.Response.Code, got)
			}
			want := bytes.TrimSpace(it.Response.Body)
			if !bytes.Equal(bytes.TrimSpace(got), want) {
				t.Errorf("body differs from the recording\n got: %s\nwant: %s", got, want)
			}
			// A whole answer goes out with its length, never chunked.
			if resp.ContentLength != int64(len(got)) || len(resp.TransferEncoding) > 0 {
				t.Errorf("Content-Length %d, Transfer-Encoding %q, body %d bytes: want the length and no chunking",
					resp.ContentLength, resp.TransferEncoding, len(got))
			}
			reqs := emu.Requests()
			if len(reqs) != 1 {
				t.Fatalf("upstream got %d requests, want 1", len(reqs))
			}
			if tt.typ == "openai" && !bytes.Equal(reqs[0].Body, it.Request.Body) {
				t.Errorf("upstream body differs from the client's\n got: %s\nwant: %s", reqs[0].Body, it.Request.Body)
			}
		})
	}
}

// dataEvents returns the data payloads of an SSE body.
func dataEvents(body []byte) []string {
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

// TestRelayStreamRecorded relays recorded OpenAI streams. The gateway asks
// the upstream for usage; the client sees the usage chunk and the
// `"usage":null` members only when it asked for them itself.
func TestRelayStreamRecorded(t *testing.T) {
	for _, file := range openaitest.SSEFiles(t) {
		name := file[strings.LastIndex(file, "/")+1:]
		for _, include := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/include_usage=%v", name, include), func(t *testing.T) {
				reply, err := openaitest.LoadSSE(file)
				if err != nil {
					t.Fatal(err)
				}
				emu := openaitest.New(t, openaitest.WithDefault(reply))
				gw, _ := startGateway(t, relayConfig(t, "openai", emu.OpenAIBase(), "", "gpt-4o"))
				body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
				if include {
					body = `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
				}
				resp, got := post(t, gw+"/v1/chat/completions", []byte(body))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, got)
				}
				recorded := dataEvents(reply.Body)
				events := dataEvents(got)
				var want []string
				for _, ev := range recorded {
					var probe struct {
						Choices []json.RawMessage `json:"choices"`
						Usage   json.RawMessage   `json:"usage"`
					}
					if ev != "[DONE]" {
						_ = json.Unmarshal([]byte(ev), &probe)
					}
					switch {
					case include || ev == "[DONE]":
						want = append(want, ev)
					case len(probe.Choices) == 0 && len(probe.Usage) > 0 && string(probe.Usage) != "null":
						// the usage chunk: dropped
					default:
						want = append(want, strings.Replace(ev, `,"usage":null`, "", 1))
					}
				}
				if strings.Join(events, "\n") != strings.Join(want, "\n") {
					t.Errorf("events differ\n got: %q\nwant: %q", events, want)
				}
				var up struct {
					StreamOptions struct {
						IncludeUsage bool `json:"include_usage"`
					} `json:"stream_options"`
				}
				if err := json.Unmarshal(emu.Requests()[0].Body, &up); err != nil || !up.StreamOptions.IncludeUsage {
					t.Errorf("upstream was not asked for usage: %s", emu.Requests()[0].Body)
				}
			})
		}
	}
}

func TestRelayErrors(t *testing.T) {
	t.Run("429 keeps status, body and Retry-After", func(t *testing.T) {
		emu := openaitest.New(t, openaitest.WithDefault(openaitest.RateLimited(7*time.Second)))
		gw, _ := startGateway(t, relayConfig(t, "openai", emu.OpenAIBase(), "", "gpt-4o"))
		for _, stream := range []string{"false", "true"} {
			resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"gpt-4o","stream":`+stream+`,"messages":[{"role":"user","content":"hi"}]}`))
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("stream=%s: got %d, want 429: %s", stream, resp.StatusCode, got)
			}
			if ra := resp.Header.Get("Retry-After"); ra != "7" {
				t.Errorf("got Retry-After %q, want 7", ra)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want JSON even for a stream request", ct)
			}
			if !strings.Contains(string(got), `"code":"rate_limit_exceeded"`) {
				t.Errorf("body %s", got)
			}
		}
	})
	t.Run("unreachable upstream is 502", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		gw, _ := startGateway(t, relayConfig(t, "openai", "http://"+addr+"/v1", "", "gpt-4o"))
		resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("got %d, want 502: %s", resp.StatusCode, got)
		}
		if strings.Contains(string(got), addr) {
			t.Errorf("error body leaks the upstream address: %s", got)
		}
	})
	t.Run("upstream timeout is 504", func(t *testing.T) {
		emu := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Latency: 30 * time.Second}))
		gw, _ := startGateway(t, relayConfig(t, "openai", emu.OpenAIBase(), "    timeout: 200ms\n", "gpt-4o"))
		resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
		if resp.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("got %d, want 504: %s", resp.StatusCode, got)
		}
	})
	t.Run("mid-stream error becomes one error event", func(t *testing.T) {
		emu := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{
			Fault: openaitest.ErrorEventAfter(2, &openai.Error{Status: 500, Type: "server_error", Message: "boom"}),
		}))
		gw, _ := startGateway(t, relayConfig(t, "openai", emu.OpenAIBase(), "", "gpt-4o"))
		resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d", resp.StatusCode)
		}
		events := dataEvents(got)
		if len(events) != 3 || !strings.Contains(events[2], `"error"`) || !strings.Contains(events[2], "boom") {
			t.Errorf("got events %q, want 2 chunks and one error event", events)
		}
	})
	t.Run("cut connection becomes one error event", func(t *testing.T) {
		emu := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Fault: openaitest.CutAfter(2)}))
		gw, _ := startGateway(t, relayConfig(t, "openai", emu.OpenAIBase(), "", "gpt-4o"))
		resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d", resp.StatusCode)
		}
		events := dataEvents(got)
		if len(events) != 3 || !strings.Contains(events[2], `"error"`) || events[len(events)-1] == "[DONE]" {
			t.Errorf("got events %q, want 2 chunks and one error event, no [DONE]", events)
		}
	})
}

// TestFallback serves a model from its second deployment when the first
// fails with a retryable status.
func TestFallback(t *testing.T) {
	bad := openaitest.New(t, openaitest.WithDefault(openaitest.Reply{Status: http.StatusServiceUnavailable}))
	good := openaitest.New(t)
	yaml := fmt.Sprintf(`upstreams:
  - {name: bad, type: openai-compatible, base_url: %q}
  - {name: good, type: openai-compatible, base_url: %q}
models:
  - name: m
    deployments: [{upstream: bad, model: x}, {upstream: good, model: y}]
`, bad.OpenAIBase(), good.OpenAIBase())
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := startGateway(t, cfg)
	resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d: %s", resp.StatusCode, got)
	}
	if n := len(bad.Requests()); n != 1 {
		t.Errorf("first deployment got %d requests, want 1", n)
	}
	reqs := good.Requests()
	if len(reqs) != 1 || modelOf(t, reqs[0].Body) != "y" {
		t.Errorf("second deployment got %d requests (model %q), want 1 for model y", len(reqs), modelOf(t, reqs[0].Body))
	}
}

// TestClientDisconnectCancelsUpstream closes the client mid-stream, and
// while the gateway waits for the upstream's first byte of a stream or of
// a whole answer (which fasthttp's server handles inline), on both HTTP
// servers: the emulator must see its request cancelled, and no goroutine
// of the request may outlive it.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	for _, server := range []string{"fasthttp", "net/http"} {
		for _, c := range []struct{ waiting, stream bool }{{false, true}, {true, true}, {true, false}} {
			t.Run(fmt.Sprintf("%s/before-first-byte=%v/stream=%v", server, c.waiting, c.stream), func(t *testing.T) {
				testClientDisconnect(t, server, c.waiting, c.stream)
			})
		}
	}
}

func testClientDisconnect(t *testing.T, server string, waiting, stream bool) {
	t.Helper()
	emu := openaitest.New(t,
		openaitest.WithAnswer(strings.Repeat("word ", 200)),
		openaitest.WithDefault(openaitest.Reply{ChunkDelay: 20 * time.Millisecond}))
	cfg := relayConfig(t, "openai", emu.OpenAIBase(), "", "gpt-4o")
	cfg.Server.HTTPServer = server
	gw, _ := startGateway(t, cfg)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	// One full request first, so pools and lazily started goroutines exist
	// before the baseline is taken.
	resp, err := client.Post(gw+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	baseline := settledGoroutines()

	if waiting {
		// The upstream answers nothing for a minute: the client gives up
		// while the gateway waits for the headers.
		emu.Push(openaitest.Reply{Latency: time.Minute})
	}
	ctx, cancel := context.WithCancel(context.Background())
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	if stream {
		body = `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw+"/v1/chat/completions", strings.NewReader(body))
	if waiting {
		time.AfterFunc(200*time.Millisecond, cancel)
		if _, err := client.Do(req); err == nil {
			t.Fatal("the request succeeded; want it canceled while waiting")
		}
	} else {
		resp, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		cancel()
		resp.Body.Close()
	}
	select {
	case <-emu.Canceled():
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream request was not cancelled after the client went away")
	}
	if n := settledGoroutines(); n > baseline {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutines: %d after the request, %d before\n%s", n, baseline, buf)
	}
}

// settledGoroutines returns the goroutine count once it stops falling:
// goroutines of a finished request take a moment to exit.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n && i >= 5 {
			break
		}
		n = m
	}
	return n
}

// TestUpstreamRequestID returns the upstream's request ID to the client,
// for answers and for streams.
func TestUpstreamRequestID(t *testing.T) {
	emu := openaitest.New(t)
	gw, _ := startGateway(t, relayConfig(t, "openai", emu.OpenAIBase(), "", "gpt-4o"))
	for _, stream := range []string{"false", "true"} {
		resp, got := post(t, gw+"/v1/chat/completions", []byte(`{"model":"gpt-4o","stream":`+stream+`,"messages":[{"role":"user","content":"hi"}]}`))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, got)
		}
		if resp.Header.Get("X-Upstream-Request-Id") == "" {
			t.Errorf("stream=%s: no X-Upstream-Request-Id header", stream)
		}
		if resp.Header.Get("X-Request-Id") == resp.Header.Get("X-Upstream-Request-Id") {
			t.Errorf("stream=%s: the gateway's request ID is the upstream's", stream)
		}
	}
}
