package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/demo"
	"github.com/outcrop/outcrop/internal/server"
)

// newDemoServer returns the gateway handler in front of the demo upstream,
// with a small body cap so the 413 case stays cheap.
func newDemoServer(t *testing.T, maxBody int64) *httptest.Server {
	t.Helper()
	d := demo.New(demo.Config{})
	var routes []*provider.Route
	for _, m := range demo.Models() {
		routes = append(routes, &provider.Route{
			Name: m, OwnedBy: demo.OwnedBy,
			Deployments: []*provider.Deployment{{Name: "demo/" + m, Model: m, Provider: d}},
		})
	}
	router, err := provider.NewRouter(routes, map[string]string{"demo-alias": demo.ChatModel})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Router: router, MaxBodyBytes: maxBody}))
	t.Cleanup(srv.Close)
	return srv
}

type apiErr struct {
	Error struct {
		Message *string `json:"message"`
		Type    *string `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

const okMsgs = `"messages":[{"role":"user","content":"hi"}]`

// TestHostileRequests sends malformed or hostile requests and checks each
// gets the right status and an OpenAI error envelope, never a panic.
func TestHostileRequests(t *testing.T) {
	srv := newDemoServer(t, 64<<10)
	huge := `{"model":"demo-chat","messages":[{"role":"user","content":"` + strings.Repeat("a", 70<<10) + `"}]}`
	deep := `{"model":"demo-chat",` + okMsgs + `,"metadata":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType, wantParam      string
		wantCode                 string
	}{
		{"bad json", "POST", "/v1/chat/completions", `{"model":`, 400, "invalid_request_error", "", ""},
		{"trailing garbage", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `} x`, 400, "invalid_request_error", "", ""},
		{"not an object", "POST", "/v1/chat/completions", `[1,2]`, 400, "invalid_request_error", "", ""},
		{"empty body", "POST", "/v1/chat/completions", ``, 400, "invalid_request_error", "", ""},
		{"model wrong type", "POST", "/v1/chat/completions", `{"model":5,` + okMsgs + `}`, 400, "invalid_request_error", "model", ""},
		{"messages wrong type", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":"hi"}`, 400, "invalid_request_error", "messages", ""},
		{"content wrong type", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":[{"role":"user","content":5}]}`, 400, "invalid_request_error", "messages.content", ""},
		{"stream wrong type", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"stream":"yes"}`, 400, "invalid_request_error", "stream", ""},
		{"temperature wrong type", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"temperature":"hot"}`, 400, "invalid_request_error", "temperature", ""},
		{"missing model", "POST", "/v1/chat/completions", `{` + okMsgs + `}`, 400, "invalid_request_error", "model", ""},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"demo-chat"}`, 400, "invalid_request_error", "messages", ""},
		{"empty messages", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":[]}`, 400, "invalid_request_error", "messages", ""},
		{"invalid role", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":[{"role":"wizard","content":"hi"}]}`, 400, "invalid_request_error", "messages[0].role", ""},
		{"missing content", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":[{"role":"user"}]}`, 400, "invalid_request_error", "messages[0].content", ""},
		{"tool without id", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":[{"role":"tool","content":"x"}]}`, 400, "invalid_request_error", "messages[0].tool_call_id", ""},
		{"unknown part type", "POST", "/v1/chat/completions", `{"model":"demo-chat","messages":[{"role":"user","content":[{"type":"video"}]}]}`, 400, "invalid_request_error", "messages[0].content[0].type", ""},
		{"invalid utf-8", "POST", "/v1/chat/completions", "{\"model\":\"demo-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", 400, "invalid_request_error", "", ""},
		{"huge body", "POST", "/v1/chat/completions", huge, 413, "invalid_request_error", "", "request_too_large"},
		{"deep nesting", "POST", "/v1/chat/completions", deep, 400, "invalid_request_error", "", ""},
		{"absurd max_tokens", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"max_tokens":1000000000000}`, 400, "invalid_request_error", "max_tokens", ""},
		{"negative max_tokens", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"max_tokens":-1}`, 400, "invalid_request_error", "max_tokens", ""},
		{"fractional max_tokens", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"max_completion_tokens":1.5}`, 400, "invalid_request_error", "max_completion_tokens", ""},
		{"overflowing max_tokens", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"max_tokens":1e400}`, 400, "invalid_request_error", "max_tokens", ""},
		{"temperature out of range", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"temperature":5}`, 400, "invalid_request_error", "temperature", ""},
		{"n zero", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"n":0}`, 400, "invalid_request_error", "n", ""},
		{"too many stops", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"stop":["a","b","c","d","e"]}`, 400, "invalid_request_error", "stop", ""},
		{"stream_options without stream", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"stream_options":{"include_usage":true}}`, 400, "invalid_request_error", "stream_options", ""},
		{"tool without name", "POST", "/v1/chat/completions", `{"model":"demo-chat",` + okMsgs + `,"tools":[{"type":"function","function":{}}]}`, 400, "invalid_request_error", "tools[0].function.name", ""},
		{"duplicate model key", "POST", "/v1/chat/completions", `{"model":"demo-chat","model":"gpt-4o",` + okMsgs + `}`, 400, "invalid_request_error", "model", ""},
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"gpt-nope",` + okMsgs + `}`, 404, "invalid_request_error", "", "model_not_found"},
		{"embeddings empty input", "POST", "/v1/embeddings", `{"model":"demo-embed","input":[]}`, 400, "invalid_request_error", "input", ""},
		{"embeddings input object", "POST", "/v1/embeddings", `{"model":"demo-embed","input":{"a":1}}`, 400, "invalid_request_error", "input", ""},
		{"embeddings bad format", "POST", "/v1/embeddings", `{"model":"demo-embed","input":"x","encoding_format":"hex"}`, 400, "invalid_request_error", "encoding_format", ""},
		{"embeddings zero dimensions", "POST", "/v1/embeddings", `{"model":"demo-embed","input":"x","dimensions":0}`, 400, "invalid_request_error", "dimensions", ""},
		{"embeddings on chat-only model", "POST", "/v1/embeddings", `{"model":"gpt-nope","input":"x"}`, 404, "invalid_request_error", "", "model_not_found"},
		{"completions missing prompt", "POST", "/v1/completions", `{"model":"demo-chat"}`, 400, "invalid_request_error", "prompt", ""},
		{"unknown model id", "GET", "/v1/models/nope:1/x", ``, 404, "invalid_request_error", "", "model_not_found"},
		{"unknown route", "POST", "/v1/foo", `{}`, 404, "invalid_request_error", "", "unknown_url"},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405, "invalid_request_error", "", "method_not_allowed"},
		{"wrong method on models", "DELETE", "/api/v1/models", ``, 405, "invalid_request_error", "", "method_not_allowed"},
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id header")
			}
			checkEnvelope(t, body, tt.wantType, tt.wantParam, tt.wantCode)
		})
	}
}

// checkEnvelope checks body is OpenAI's error envelope with all four keys.
func checkEnvelope(t *testing.T, body []byte, wantType, wantParam, wantCode string) {
	t.Helper()
	var keys struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &keys); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := keys.Error[k]; !ok {
			t.Errorf("envelope lacks %q: %s", k, body)
		}
	}
	var e apiErr
	_ = json.Unmarshal(body, &e)
	if e.Error.Message == nil || *e.Error.Message == "" {
		t.Errorf("empty message: %s", body)
	}
	if got := deref(e.Error.Type); got != wantType {
		t.Errorf("got type %q, want %q", got, wantType)
	}
	if got := deref(e.Error.Param); got != wantParam {
		t.Errorf("got param %q, want %q (%s)", got, wantParam, body)
	}
	if got := deref(e.Error.Code); got != wantCode {
		t.Errorf("got code %q, want %q", got, wantCode)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestBodyLimitWithoutContentLength checks the cap also holds for chunked
// bodies that declare no length.
func TestBodyLimitWithoutContentLength(t *testing.T) {
	srv := newDemoServer(t, 1024)
	body := io.MultiReader(strings.NewReader(`{"model":"demo-chat","messages":[{"role":"user","content":"`), bytes.NewReader(bytes.Repeat([]byte("a"), 4096)), strings.NewReader(`"}]}`))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", body)
	req.ContentLength = -1
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("got status %d, want 413", resp.StatusCode)
	}
}
