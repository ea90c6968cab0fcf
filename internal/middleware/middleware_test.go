package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"absent", "", false},
		{"well formed", "lb-1234.abcd", true},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"newline", "a\nb", false},
		{"non-ascii", "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = ScopeFrom(r.Context()).RequestID
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.in != "" {
				req.Header[HeaderRequestID] = []string{tt.in}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(HeaderRequestID)
			if got != seen {
				t.Errorf("header %q differs from the scope's %q", got, seen)
			}
			if tt.keep && got != tt.in {
				t.Errorf("got %q, want the client's %q", got, tt.in)
			}
			if !tt.keep && (!strings.HasPrefix(got, "req_") || len(got) != 36) {
				t.Errorf("got %q, want a generated req_ ID", got)
			}
		})
	}
}

// TestRequestIDKeepsBegunScope: a request whose context the server began
// (Begin, before the handler) keeps that Scope and its ID; the Scope is
// also the providers' Recorder, and the context's other values and
// cancellation come through.
func TestRequestIDKeepsBegunScope(t *testing.T) {
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(HeaderRequestID, "lb-1")
	ctx := Begin(parent, req.Header)
	begun := ScopeFrom(ctx)
	if begun.RequestID != "lb-1" || begun.Start.IsZero() {
		t.Fatalf("begun scope %+v", begun)
	}
	var seen *Scope
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = ScopeFrom(r.Context())
		provider.RecordRequestID(r.Context(), "up-1")
		if r.Context().Value(otherKey{}) != "v" {
			t.Error("the parent's value is lost")
		}
		cancel()
		if r.Context().Err() == nil {
			t.Error("the parent's cancellation does not come through")
		}
	}))
	req.Header.Set(HeaderRequestID, "other")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.WithContext(ctx))
	if seen != begun {
		t.Errorf("the handler saw another scope: %+v", seen)
	}
	if got := rec.Header().Get(HeaderRequestID); got != "lb-1" {
		t.Errorf("header %q, want the begun scope's lb-1", got)
	}
	if begun.UpstreamRequestID != "up-1" {
		t.Errorf("the scope as Recorder: upstream ID %q, want up-1", begun.UpstreamRequestID)
	}
}

func TestRecoverBeforeResponse(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := RequestID(Recover(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(HeaderRequestID, "rid-1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("got status %d, want 500", rec.Code)
	}
	var env openai.Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("body is not an envelope: %v: %s", err, rec.Body)
	}
	if !strings.Contains(env.Error.Message, "rid-1") || env.Error.Type == nil || *env.Error.Type != "server_error" {
		t.Errorf("got %+v, want a server_error naming the request ID", env.Error)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "stack") {
		t.Errorf("panic not logged with its stack: %s", logs.String())
	}
}

// TestRecoverAfterResponse checks that a panic once the response started
// aborts the connection, so the client cannot mistake a truncated body for
// a complete one.
func TestRecoverAfterResponse(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(RequestID(Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		http.NewResponseController(w).Flush()
		panic("late")
	}))))
	defer srv.Close()
	srv.Config.ErrorLog = nil
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Error("body read completed, want an error from the aborted connection")
	}
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := RequestID(AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := ScopeFrom(r.Context())
		s.Route = "POST /v1/chat/completions"
		s.Model, s.Deployment, s.Stream = "gpt-4o", "openai/gpt-4o", true
		s.Usage = &openai.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the recorder: %v", err)
		}
		_, _ = w.Write([]byte("data: x\n\n"))
	})))
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(`{"messages":"SECRET PROMPT"}`))
	req.Header.Set("Authorization", "Bearer sk-SECRET")
	h.ServeHTTP(httptest.NewRecorder(), req)
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log is not one JSON line: %v: %s", err, logs.String())
	}
	want := map[string]any{
		"msg": "request", "method": "POST", "route": "POST /v1/chat/completions", "status": float64(200),
		"model": "gpt-4o", "deployment": "openai/gpt-4o", "stream": true,
		"prompt_tokens": float64(3), "completion_tokens": float64(4), "total_tokens": float64(7),
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s: got %v, want %v", k, line[k], v)
		}
	}
	for _, k := range []string{"request_id", "latency_ms", "ttft_ms", "bytes"} {
		if _, ok := line[k]; !ok {
			t.Errorf("no %s in %s", k, logs.String())
		}
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("log leaks the prompt or the key: %s", logs.String())
	}
}

func TestAccessLogClientGone(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := RequestID(AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ScopeFrom(r.Context()).ClientGone = true
	})))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !strings.Contains(logs.String(), `"status":499`) {
		t.Errorf("got %s, want status 499", logs.String())
	}
}
