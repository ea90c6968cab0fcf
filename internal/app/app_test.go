package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
)

// startGateway builds a gateway for cfg and serves it on a loopback port
// until the test ends. It returns the base URL and a function that stops
// the gateway (as SIGTERM would) and returns Serve's result.
func startGateway(t testing.TB, cfg *config.Config) (string, func() error) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return startGatewayLog(t, cfg, slog.New(slog.DiscardHandler))
}

// startGatewayLog is startGateway with the gateway's logger given.
func startGatewayLog(t testing.TB, cfg *config.Config, logger *slog.Logger) (string, func() error) {
	t.Helper()
	if cfg.Storage.DataDir == config.DefaultDataDir {
		cfg.Storage.DataDir = t.TempDir()
	}
	gw, err := Build(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln, logger) }()
	var result error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + ln.Addr().String(), stop
}

func demoConfig(tokenDelay time.Duration) *config.Config {
	cfg := config.Default()
	cfg.Demo.TokenDelay = config.Duration(tokenDelay)
	return cfg
}

func postJSON(t testing.TB, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestDemoChat(t *testing.T) {
	base, _ := startGateway(t, demoConfig(0))
	resp := postJSON(t, base+"/v1/chat/completions", `{"model":"demo-chat","messages":[{"role":"user","content":"Hello there"}]}`)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("got status %d: %s", resp.StatusCode, b)
	}
	var got struct {
		Object  string `json:"object"`
		Choices []struct {
			Message struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Object != "chat.completion" || len(got.Choices) != 1 || got.Choices[0].Message.Content == "" ||
		got.Choices[0].FinishReason != "stop" || got.Usage.TotalTokens == 0 {
		t.Errorf("unexpected response %+v", got)
	}
}

// readEvents reads SSE data payloads until [DONE] or EOF.
func readEvents(t testing.TB, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, data)
			if data == "[DONE]" {
				break
			}
		}
	}
	return out
}

func TestDemoStreamUsageOnlyWhenAsked(t *testing.T) {
	base, _ := startGateway(t, demoConfig(0))
	for _, include := range []bool{false, true} {
		body := `{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"Hello there"}]}`
		if include {
			body = `{"model":"demo-chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello there"}]}`
		}
		resp := postJSON(t, base+"/v1/chat/completions", body)
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
			t.Errorf("got Content-Type %q", ct)
		}
		events := readEvents(t, resp.Body)
		resp.Body.Close()
		if len(events) < 3 || events[len(events)-1] != "[DONE]" {
			t.Fatalf("include_usage=%v: got events %q", include, events)
		}
		last := events[len(events)-2]
		isUsage := strings.Contains(last, `"choices":[]`) && strings.Contains(last, `"usage":{`)
		if isUsage != include {
			t.Errorf("include_usage=%v: last chunk before [DONE] is %s", include, last)
		}
	}
}

// TestGracefulShutdown stops the gateway while a stream is in flight: the
// stream still ends with [DONE], new connections are refused, and Serve
// returns nil.
func TestGracefulShutdown(t *testing.T) {
	base, stop := startGateway(t, demoConfig(5*time.Millisecond))
	resp := postJSON(t, base+"/v1/chat/completions", `{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"tell me a long story about shutdowns"}]}`)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil { // the first event has arrived
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	events := readEvents(t, br)
	if len(events) == 0 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("stream cut by shutdown: %q", events)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	if resp, err := http.Get(base + "/health"); err == nil {
		resp.Body.Close()
		t.Error("gateway still accepts connections after shutdown")
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(bad, []byte("models:\n  - name: m\n    deployments:\n      - upstream: nowhere\nupstreams:\n  - name: x\n    type: azure\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("upstreams:\n  - name: local\n    type: openai-compatible\n    base_url: http://127.0.0.1:1/v1\nmodels:\n  - name: m\n    deployments: [{upstream: local}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr}
	err := Run(context.Background(), []string{"config", "check", bad}, env)
	if ExitCode(err) != 1 {
		t.Fatalf("bad file: got exit %d (%v), want 1", ExitCode(err), err)
	}
	for _, want := range []string{"models[0].deployments[0].upstream", "upstreams[0]"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stderr.String())
		}
	}
	stdout.Reset()
	if err := Run(context.Background(), []string{"config", "check", good}, env); err != nil {
		t.Fatalf("good file: %v", err)
	}
	if !strings.Contains(stdout.String(), "ok") {
		t.Errorf("got %q", stdout.String())
	}
}

func TestServeRefusesInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("server:\n  addr: nonsense\n  bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	env := Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr}
	err := Run(context.Background(), []string{"serve", "--config", bad}, env)
	if err == nil || errors.Is(err, errUsage) {
		t.Fatalf("got %v, want a configuration error", err)
	}
	if !strings.Contains(stderr.String(), "bogus") {
		t.Errorf("stderr does not name the unknown key:\n%s", stderr.String())
	}
}
