package openaitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

const chatBody = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

// waitFor returns the next value of ch, failing the test if none comes in
// a long while (which only happens when the code under test is broken).
func waitFor(t *testing.T, ch <-chan Recorded, what string) Recorded {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s notification", what)
		return Recorded{}
	}
}

func TestAzureClassic(t *testing.T) {
	s := New(t, WithAPIKey("k"), WithDeployments("dep"))
	key := http.Header{"Api-Key": {"k"}}
	tests := []struct {
		name   string
		path   string
		header http.Header
		status int
		code   string
	}{
		{"ok", "/openai/deployments/dep/chat/completions?api-version=2024-10-21", key, 200, ""},
		{"bearer accepted", "/openai/deployments/dep/chat/completions?api-version=2024-10-21", http.Header{"Authorization": {"Bearer k"}}, 200, ""},
		{"no api-version", "/openai/deployments/dep/chat/completions", key, 404, "404"},
		{"unknown deployment", "/openai/deployments/other/chat/completions?api-version=2024-10-21", key, 404, "DeploymentNotFound"},
		{"no key", "/openai/deployments/dep/chat/completions?api-version=2024-10-21", nil, 401, "401"},
		{"wrong key", "/openai/deployments/dep/chat/completions?api-version=2024-10-21", http.Header{"Api-Key": {"x"}}, 401, "401"},
		{"models", "/openai/models?api-version=2024-10-21", key, 200, ""},
		{"v1 surface", "/openai/v1/chat/completions", key, 200, ""},
		{"v1 surface without key", "/openai/v1/chat/completions", nil, 401, "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, body := "POST", chatBody
			if strings.Contains(tt.path, "/models") {
				method, body = "GET", ""
			}
			resp, got := call(t, method, s.URL()+tt.path, tt.header, body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, got)
			}
			if resp.Header.Get("Apim-Request-Id") == "" {
				t.Errorf("no Apim-Request-Id header")
			}
			if tt.code == "" {
				return
			}
			var env struct {
				Error map[string]any `json:"error"`
			}
			if err := json.Unmarshal(got, &env); err != nil {
				t.Fatal(err)
			}
			if env.Error["code"] != tt.code || env.Error["message"] == "" || len(env.Error) != 2 {
				t.Errorf("error %s: want Azure's {code %q, message}", got, tt.code)
			}
		})
	}
}

func TestAzureClassicCanned(t *testing.T) {
	s := New(t)
	_, body := call(t, "POST", s.URL()+"/openai/deployments/my-dep/chat/completions?api-version=v", nil, `{"messages":[{"role":"user","content":"hi"}]}`)
	var resp struct {
		Model               string          `json:"model"`
		PromptFilterResults json.RawMessage `json:"prompt_filter_results"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Model != "my-dep" || resp.PromptFilterResults == nil {
		t.Errorf("got %s: want model my-dep and prompt_filter_results", body)
	}
	_, body = call(t, "POST", s.URL()+"/openai/deployments/my-dep/chat/completions?api-version=v", nil,
		`{"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	events := dataEvents(t, body)
	if !strings.HasPrefix(events[0], `{"choices":[],`) || !strings.Contains(events[0], "prompt_filter_results") {
		t.Errorf("first event %s: want Azure's prompt filter chunk with empty choices", events[0])
	}
}

func TestOpenAIAuth(t *testing.T) {
	s := New(t, WithAPIKey("sk-test"))
	tests := []struct {
		name   string
		header http.Header
		status int
	}{
		{"bearer", http.Header{"Authorization": {"Bearer sk-test"}}, 200},
		{"missing", nil, 401},
		{"wrong", http.Header{"Authorization": {"Bearer nope"}}, 401},
		{"api-key is Azure's", http.Header{"Api-Key": {"sk-test"}}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, "POST", s.OpenAIBase()+"/chat/completions", tt.header, chatBody)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 401 {
				var env openai.Envelope
				strict(t, body, &env)
				if env.Error.Code == nil || *env.Error.Code != "invalid_api_key" {
					t.Errorf("error %s: want code invalid_api_key", body)
				}
			}
		})
	}
}

func TestReplayCassettes(t *testing.T) {
	files, err := filepath.Glob(FixturePath(t, "openai-cassettes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cassettes (err %v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := LoadCassette(f)
			if err != nil {
				t.Fatal(err)
			}
			s := New(t, WithCassette(c))
			it := c.Interactions[0]
			u := strings.TrimPrefix(it.Request.URL, "https://")
			u = s.URL() + u[strings.Index(u, "/"):]
			if q := it.Request.Form.Encode(); q != "" {
				u += "?" + q
			}
			resp, body := call(t, it.Request.Method, u, nil, string(it.Request.Body))
			if resp.StatusCode != it.Response.Code {
				t.Errorf("status %d, want %d", resp.StatusCode, it.Response.Code)
			}
			if !bytes.Equal(body, it.Response.Body) {
				t.Errorf("body differs from the recording:\n got %q\nwant %q", body, it.Response.Body)
			}
			for _, k := range []string{"Content-Type", "X-Request-Id"} {
				if got, want := resp.Header.Get(k), it.Response.Header.Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestReplaySSEFile(t *testing.T) {
	for _, f := range SSEFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rep, err := LoadSSE(f)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(f)
			s := New(t, WithDefault(rep))
			_, body := call(t, "POST", s.OpenAIBase()+"/chat/completions", nil, `{"model":"m","stream":true,"messages":[]}`)
			if !bytes.Equal(body, want) {
				t.Errorf("served stream differs from the file")
			}
		})
	}
}

func TestFaults(t *testing.T) {
	streamBody := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name       string
		fault      *Fault
		wantEvents int
		wantErr    error
		wantLast   string
	}{
		{"cut after 2", CutAfter(2), 2, io.ErrUnexpectedEOF, ""},
		{"cut before any", CutAfter(0), 0, io.ErrUnexpectedEOF, ""},
		{"cut mid event", &Fault{After: 1, Partial: true}, 1, io.ErrUnexpectedEOF, ""},
		{
			"error event", ErrorEventAfter(3, &openai.Error{Type: "server_error", Message: "boom"}), 4, nil,
			`{"error":{"message":"boom","type":"server_error","param":null,"code":null}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, WithReplies(Reply{Fault: tt.fault}))
			resp, body, err := tryCall(context.Background(), "POST", s.OpenAIBase()+"/chat/completions", nil, streamBody)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("read error %v, want %v", err, tt.wantErr)
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d, want 200", resp.StatusCode)
			}
			events := dataEvents(t, body)
			if tt.fault.Partial {
				// The half event has no blank line after it.
				events = events[:len(events)-1]
			}
			if len(events) != tt.wantEvents {
				t.Fatalf("%d events, want %d: %q", len(events), tt.wantEvents, events)
			}
			if tt.wantLast != "" && events[len(events)-1] != tt.wantLast {
				t.Errorf("last event %s, want %s", events[len(events)-1], tt.wantLast)
			}
			if strings.Contains(string(body), "[DONE]") {
				t.Errorf("broken stream has [DONE]")
			}
		})
	}
}

func TestScriptedReplies(t *testing.T) {
	s := New(t, WithReplies(RateLimited(7*time.Second), Reply{Status: 503}), WithDefault(Reply{Header: http.Header{"X-Default": {"1"}}}))
	s.Push(AzureRateLimited(3 * time.Second))
	tests := []struct {
		status     int
		retryAfter string
		def        string
	}{
		{429, "7", ""},
		{503, "", ""},
		{429, "3", ""},
		{200, "", "1"},
		{200, "", "1"},
	}
	for i, tt := range tests {
		resp, body := call(t, "POST", s.OpenAIBase()+"/chat/completions", nil, chatBody)
		if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter || resp.Header.Get("X-Default") != tt.def {
			t.Errorf("request %d: status %d Retry-After %q X-Default %q, want %d %q %q: %s", i, resp.StatusCode,
				resp.Header.Get("Retry-After"), resp.Header.Get("X-Default"), tt.status, tt.retryAfter, tt.def, body)
		}
		if tt.status != 200 && !json.Valid(body) {
			t.Errorf("request %d: error body %q is not JSON", i, body)
		}
	}
}

func TestRecordsRequests(t *testing.T) {
	s := New(t)
	call(t, "POST", s.URL()+"/openai/deployments/d/embeddings?api-version=x", http.Header{"Api-Key": {"k"}}, `{"input":"a"}`)
	call(t, "GET", s.OpenAIBase()+"/models", nil, "")
	got := s.Requests()
	if len(got) != 2 {
		t.Fatalf("%d requests recorded, want 2", len(got))
	}
	want := Recorded{Method: "POST", Path: "/openai/deployments/d/embeddings", RawQuery: "api-version=x", Body: []byte(`{"input":"a"}`)}
	got[0].Header = nil
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if r := s.Requests()[0]; r.Header.Get("Api-Key") != "k" {
		t.Errorf("header Api-Key %q, want k", r.Header.Get("Api-Key"))
	}
	if got[1].Method != http.MethodGet || got[1].Path != "/v1/models" {
		t.Errorf("second request %s %s, want GET /v1/models", got[1].Method, got[1].Path)
	}
}

func TestSeesClientCancel(t *testing.T) {
	tests := []struct {
		name  string
		reply Reply
		body  string
	}{
		{"waiting for headers", Reply{Latency: time.Hour}, chatBody},
		{"between chunks", Reply{ChunkDelay: time.Hour}, `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, WithDefault(tt.reply))
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, _, err := tryCall(ctx, "POST", s.OpenAIBase()+"/chat/completions", nil, tt.body)
				errc <- err
			}()
			waitFor(t, s.Arrivals(), "arrival")
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("client error %v, want context.Canceled", err)
			}
			r := waitFor(t, s.Canceled(), "cancel")
			if r.Path != "/v1/chat/completions" || s.CanceledCount() != 1 {
				t.Errorf("canceled %s, count %d; want /v1/chat/completions, 1", r.Path, s.CanceledCount())
			}
		})
	}
}

func TestCloseAbandonsWaits(t *testing.T) {
	s, err := Start(WithDefault(Reply{Latency: time.Hour}))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := tryCall(context.Background(), "POST", s.OpenAIBase()+"/chat/completions", nil, chatBody)
		errc <- err
	}()
	waitFor(t, s.Arrivals(), "arrival")
	s.Close() // must not wait an hour
	s.Close()
	if err := <-errc; err != nil {
		t.Logf("the abandoned call ended with %v", err)
	}
	if s.CanceledCount() != 0 {
		t.Errorf("closing counted %d cancels, want 0", s.CanceledCount())
	}
}

func TestTLS(t *testing.T) {
	s := New(t, WithTLS())
	resp, err := s.Client().Post(s.OpenAIBase()+"/chat/completions", "application/json", strings.NewReader(chatBody))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Errorf("status %d over HTTP/%d, want 200 over HTTP/2", resp.StatusCode, resp.ProtoMajor)
	}
}

func TestSharedDir(t *testing.T) {
	t.Run("found by walking up", func(t *testing.T) {
		t.Setenv(SharedEnv, "")
		dir, err := SharedDir()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "fixtures", "openai-sse")); err != nil {
			t.Errorf("SharedDir %s has no fixtures/openai-sse: %v", dir, err)
		}
	})
	t.Run("environment wins", func(t *testing.T) {
		t.Setenv(SharedEnv, "/elsewhere")
		if dir, err := SharedDir(); dir != "/elsewhere" || err != nil {
			t.Errorf("SharedDir = %q, %v; want /elsewhere", dir, err)
		}
	})
}

func TestVectorDeterministic(t *testing.T) {
	a, b, c := Vector("x", 16), Vector("x", 16), Vector("y", 16)
	if !cmp.Equal(a, b) || cmp.Equal(a, c) {
		t.Errorf("Vector is not a deterministic function of its text")
	}
	var norm float64
	for _, f := range a {
		norm += float64(f) * float64(f)
	}
	if norm < 0.999 || norm > 1.001 {
		t.Errorf("norm² %v, want 1", norm)
	}
}
