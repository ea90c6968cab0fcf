package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/server"
)

// The end-to-end tests below boot the whole gateway (configuration,
// wiring, server, Bedrock client) in front of the bedrocktest emulator and
// talk to it over real HTTP, as an OpenAI client would.

// Public model names of the end-to-end configuration.
const (
	// sonnet37ID is served only through inference profiles: Bedrock
	// refuses its bare ID.
	sonnet37ID = "anthropic.claude-3-7-sonnet-20250219-v1:0"
	e2eAlias   = "claude"
)

var (
	// appProfileARN is an application inference profile of the emulator
	// (WithApplicationProfiles), routing to Claude 3 Haiku.
	appProfileARN = bedrocktest.ApplicationProfileARN(bedrocktest.Region, bedrocktest.AppProfileHaiku)
	// haikuARN is Claude 3 Haiku's foundation-model ARN.
	haikuARN = bedrocktest.ModelARN(bedrocktest.Region, haikuID)
)

// e2eConfig is a configured (not discovered) Bedrock deployment: one
// upstream of type bedrock at the emulator, each model under its Bedrock
// ID. Credentials come from the environment (setAWSEnv).
const e2eConfig = `
upstreams:
  - name: aws
    type: bedrock
    region: %s
    endpoint: %s
models:
  - name: %q
    aliases: [%s]
    deployments: [{upstream: aws}]
  - name: %q
    deployments: [{upstream: aws}]
  - name: %q
    deployments: [{upstream: aws}]
  - name: %q
    deployments: [{upstream: aws}]
`

// startBedrockGateway serves the end-to-end configuration in front of srv
// until the test ends, with its JSON log captured. env overrides
// setAWSEnv's variables; AWS_ENDPOINT_URL is cleared, so that requests
// reach srv through the configured endpoint.
func startBedrockGateway(t *testing.T, srv *bedrocktest.Server, env map[string]string) (string, *logLines) {
	t.Helper()
	return startBedrockGatewayWith(t, srv, env, nil)
}

// startBedrockGatewayWith is startBedrockGateway with edit applied to the
// configuration before it is validated.
func startBedrockGatewayWith(t *testing.T, srv *bedrocktest.Server, env map[string]string, edit func(*config.Config)) (string, *logLines) {
	t.Helper()
	vars := map[string]string{"AWS_ENDPOINT_URL": ""}
	for k, v := range env {
		vars[k] = v
	}
	setAWSEnv(t, srv, vars)
	yaml := fmt.Sprintf(e2eConfig, srv.Region(), srv.URL(), haikuID, e2eAlias, sonnet37ID, appProfileARN, haikuARN)
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	if edit != nil {
		edit(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	if cfg.BedrockEnabled() {
		t.Fatal("config: discovery is on, want only the configured models")
	}
	logs := &logLines{lines: make(chan map[string]any, 1024)}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	cfg.Storage.DataDir = t.TempDir()
	gw, err := BuildEnv(context.Background(), cfg, logger, os.Getenv)
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), logs
}

// accessLine waits for the access log line of the request with ID id: it
// is written once the handler returned, which may be after the client got
// the whole response.
func accessLine(t *testing.T, logs *logLines, id string) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case rec := <-logs.lines:
			if rec["msg"] == "request" && rec["request_id"] == id {
				return rec
			}
		case <-timeout:
			t.Fatalf("no access log line for request %s", id)
			return nil
		}
	}
}

// chatBody is a chat request for model saying text; extra is spliced in
// as more members, e.g. `"stream":true`.
func chatBody(model, text, extra string) []byte {
	if extra != "" {
		extra = "," + extra
	}
	return []byte(`{"model":"` + model + `","messages":[{"role":"user","content":"` + text + `"}]` + extra + `}`)
}

// chatJSON is a chat completion as the client reads it.
type chatJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string  `json:"role"`
			Content *string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *openai.Usage `json:"usage"`
}

// chunkJSON is a stream chunk as the client reads it; deltas stay raw so
// that explicit nulls show.
type chunkJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int                        `json:"index"`
		Delta        map[string]json.RawMessage `json:"delta"`
		FinishReason *string                    `json:"finish_reason"`
	} `json:"choices"`
	Usage *openai.Usage `json:"usage"`
}

// errorJSON is the OpenAI error envelope.
type errorJSON struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func decode[T any](t *testing.T, data string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, data)
	}
	return v
}

// lastRequest returns the last request the emulator received.
func lastRequest(t *testing.T, srv *bedrocktest.Server) bedrocktest.Recorded {
	t.Helper()
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("the emulator received no request")
	}
	return reqs[len(reqs)-1]
}

// TestBedrockE2EChat sends non-stream chat requests under a model's
// Bedrock ID and under its alias: the client gets an OpenAI chat
// completion naming the model it asked for, Bedrock gets a signed Converse
// call on the Bedrock ID, and the client learns Bedrock's request ID.
func TestBedrockE2EChat(t *testing.T) {
	srv := bedrocktest.New(t)
	base, logs := startBedrockGateway(t, srv, nil)
	const text = "Hello there Bedrock"
	answer := bedrocktest.EchoAnswer(text)
	for _, model := range []string{haikuID, e2eAlias} {
		t.Run(model, func(t *testing.T) {
			resp, body := post(t, base+"/v1/chat/completions", chatBody(model, text, ""))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d: %s", resp.StatusCode, body)
			}
			got := decode[chatJSON](t, string(body))
			if !strings.HasPrefix(got.ID, "chatcmpl-") || got.Object != "chat.completion" || got.Created == 0 {
				t.Errorf("got id %q, object %q, created %d; want an OpenAI chat completion", got.ID, got.Object, got.Created)
			}
			if got.Model != model {
				t.Errorf("got model %q, want the client's %q", got.Model, model)
			}
			if len(got.Choices) != 1 {
				t.Fatalf("got %d choices, want 1: %s", len(got.Choices), body)
			}
			c := got.Choices[0]
			if c.Message.Role != "assistant" || c.Message.Content == nil || *c.Message.Content != answer || c.FinishReason != "stop" {
				t.Errorf("got choice %+v, want the assistant saying %q, finish_reason stop", c, answer)
			}
			in, out := bedrocktest.Tokens(text), len(bedrocktest.Pieces(answer))
			if u := got.Usage; u == nil || u.PromptTokens != in || u.CompletionTokens != out || u.TotalTokens != in+out {
				t.Errorf("got usage %+v, want %d prompt and %d completion tokens", u, in, out)
			}

			rec := lastRequest(t, srv)
			if rec.Operation != bedrocktest.OpConverse || rec.ModelID != haikuID {
				t.Errorf("Bedrock got %s on %q, want Converse on %q", rec.Operation, rec.ModelID, haikuID)
			}
			if rec.Auth != bedrocktest.AuthSigV4 || rec.AccessKeyID != bedrocktest.AccessKeyID {
				t.Errorf("Bedrock got auth %q with key %q, want a verified SigV4 signature by %q", rec.Auth, rec.AccessKeyID, bedrocktest.AccessKeyID)
			}
			if got := resp.Header.Get(server.HeaderUpstreamRequestID); got != rec.RequestID {
				t.Errorf("got %s %q, want Bedrock's request ID %q", server.HeaderUpstreamRequestID, got, rec.RequestID)
			}
			line := accessLine(t, logs, resp.Header.Get(middleware.HeaderRequestID))
			if line["model"] != model || line["deployment"] != "aws/"+haikuID || line["upstream_request_id"] != rec.RequestID {
				t.Errorf("access log: got %v", line)
			}
		})
	}
}

// TestBedrockE2EStream streams chat answers: a role chunk first, the
// content in deltas, a finish chunk, the usage chunk only when the client
// asked for it, then [DONE]; every chunk names the model the client used.
func TestBedrockE2EStream(t *testing.T) {
	srv := bedrocktest.New(t)
	base, _ := startBedrockGateway(t, srv, nil)
	const text = "Stream to me"
	answer := bedrocktest.EchoAnswer(text)
	pieces := bedrocktest.Pieces(answer)
	tests := []struct {
		model, extra string
		usage        bool
	}{
		{model: haikuID, extra: `"stream":true`},
		{model: e2eAlias, extra: `"stream":true`},
		{model: haikuID, extra: `"stream":true,"stream_options":{"include_usage":true}`, usage: true},
		{model: e2eAlias, extra: `"stream":true,"stream_options":{"include_usage":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.model+"/"+tt.extra, func(t *testing.T) {
			resp, body := post(t, base+"/v1/chat/completions", chatBody(tt.model, text, tt.extra))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Errorf("got Content-Type %q, want text/event-stream", ct)
			}
			rec := lastRequest(t, srv)
			if rec.Operation != bedrocktest.OpConverseStream || rec.ModelID != haikuID {
				t.Errorf("Bedrock got %s on %q, want ConverseStream on %q", rec.Operation, rec.ModelID, haikuID)
			}
			if got := resp.Header.Get(server.HeaderUpstreamRequestID); got != rec.RequestID {
				t.Errorf("got %s %q, want Bedrock's request ID %q", server.HeaderUpstreamRequestID, got, rec.RequestID)
			}
			events := dataEvents(body)
			want := 1 + len(pieces) + 1 + 1 // role, content, finish, [DONE]
			if tt.usage {
				want++
			}
			if len(events) != want || events[len(events)-1] != "[DONE]" {
				t.Fatalf("got %d events ending %q, want %d ending [DONE]:\n%s", len(events), events[len(events)-1], want, body)
			}
			checkChunks(t, events[:len(events)-1], tt.model, answer, tt.usage)
		})
	}
}

// checkChunks checks the chunks of a streamed answer, [DONE] excluded.
func checkChunks(t *testing.T, events []string, model, answer string, usage bool) {
	t.Helper()
	var chunks []chunkJSON
	for _, ev := range events {
		c := decode[chunkJSON](t, ev)
		chunks = append(chunks, c)
		if c.Object != "chat.completion.chunk" || c.Model != model || c.ID != chunks[0].ID {
			t.Errorf("chunk %s: want object chat.completion.chunk, model %q and the stream's one id", ev, model)
		}
	}
	role := map[string]json.RawMessage{"role": json.RawMessage(`"assistant"`), "content": json.RawMessage(`""`), "refusal": json.RawMessage(`null`)}
	if len(chunks[0].Choices) != 1 || !cmp.Equal(role, chunks[0].Choices[0].Delta) {
		t.Errorf("first chunk %s, want delta {role:assistant, content:\"\", refusal:null}", events[0])
	}
	if usage {
		last := chunks[len(chunks)-1]
		if len(last.Choices) != 0 || last.Usage == nil || last.Usage.CompletionTokens != len(bedrocktest.Pieces(answer)) {
			t.Errorf("last chunk %s, want the usage chunk (no choices)", events[len(events)-1])
		}
		chunks, events = chunks[:len(chunks)-1], events[:len(events)-1]
	}
	finish := chunks[len(chunks)-1]
	if len(finish.Choices) != 1 || len(finish.Choices[0].Delta) != 0 || finish.Choices[0].FinishReason == nil || *finish.Choices[0].FinishReason != "stop" {
		t.Errorf("finish chunk %s, want an empty delta and finish_reason stop", events[len(events)-1])
	}
	var content strings.Builder
	for i, c := range chunks[1 : len(chunks)-1] {
		var s string
		if len(c.Choices) != 1 || len(c.Choices[0].Delta) != 1 || json.Unmarshal(c.Choices[0].Delta["content"], &s) != nil || s == "" {
			t.Errorf("chunk %s, want a content delta", events[i+1])
		}
		content.WriteString(s)
	}
	if content.String() != answer {
		t.Errorf("streamed content %q, want %q", content.String(), answer)
	}
	for _, c := range chunks {
		if c.Usage != nil && !usage {
			t.Errorf("a chunk carries usage though the client did not ask for it")
		}
	}
}

// TestBedrockE2EThrottling: Bedrock's throttling is retried within the
// deployment and shows in the access log; once the retries are spent the
// client gets a 429 with Retry-After, as JSON even for a stream request.
func TestBedrockE2EThrottling(t *testing.T) {
	t.Run("retried then served", func(t *testing.T) {
		srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Times(2, bedrocktest.Throttled())...))
		base, logs := startBedrockGateway(t, srv, nil)
		resp, body := post(t, base+"/v1/chat/completions", chatBody(haikuID, "hi", ""))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got status %d, want 200 after two retries: %s", resp.StatusCode, body)
		}
		if n := len(srv.Requests()); n != 3 {
			t.Errorf("Bedrock got %d requests, want 3", n)
		}
		line := accessLine(t, logs, resp.Header.Get(middleware.HeaderRequestID))
		retries, _ := line["retries"].([]any)
		if len(retries) != 2 {
			t.Fatalf("access log retries: got %v, want 2", line["retries"])
		}
		for i, r := range retries {
			s, _ := r.(string)
			if want := fmt.Sprintf("attempt %d: ThrottlingException (HTTP 429)", i+1); !strings.HasPrefix(s, want) {
				t.Errorf("access log retry %d: got %q, want it to start with %q", i, s, want)
			}
		}
		if line["status"] != float64(http.StatusOK) {
			t.Errorf("access log status: got %v, want 200", line["status"])
		}
	})
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("exhausted/stream=%v", stream), func(t *testing.T) {
			srv := bedrocktest.New(t, bedrocktest.WithDefault(bedrocktest.Throttled()))
			base, logs := startBedrockGateway(t, srv, nil)
			resp, body := post(t, base+"/v1/chat/completions", chatBody(haikuID, "hi", fmt.Sprintf(`"stream":%v`, stream)))
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("got status %d, want 429: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
			if ra := resp.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("got Retry-After %q, want 1 (Bedrock sends none)", ra)
			}
			e := decode[errorJSON](t, string(body))
			if e.Error.Type != openai.TypeRateLimit || e.Error.Code == nil || *e.Error.Code != "rate_limit_exceeded" ||
				e.Error.Message != bedrocktest.MsgThrottling {
				t.Errorf("got %s, want Bedrock's message with code rate_limit_exceeded", body)
			}
			reqs := srv.Requests()
			if len(reqs) != 3 {
				t.Errorf("Bedrock got %d requests, want 3 attempts", len(reqs))
			}
			if got := resp.Header.Get(server.HeaderUpstreamRequestID); got != lastRequest(t, srv).RequestID {
				t.Errorf("got %s %q, want the last attempt's %q", server.HeaderUpstreamRequestID, got, lastRequest(t, srv).RequestID)
			}
			line := accessLine(t, logs, resp.Header.Get(middleware.HeaderRequestID))
			if retries, _ := line["retries"].([]any); len(retries) != 2 || line["status"] != float64(429) {
				t.Errorf("access log: got status %v, retries %v; want 429 after 2 retries", line["status"], line["retries"])
			}
		})
	}
}

// TestBedrockE2EErrors answers with each of Bedrock's error codes before
// any stream: the client gets the matching status and OpenAI error type,
// Bedrock's message, and Bedrock's request ID; retryable codes are tried
// three times first.
func TestBedrockE2EErrors(t *testing.T) {
	tests := []struct {
		code       string
		wantStatus int
		wantType   string
		attempts   int
	}{
		{bedrocktest.CodeValidation, 400, openai.TypeInvalidRequest, 1},
		{bedrocktest.CodeAccessDenied, 403, openai.TypePermission, 1},
		{bedrocktest.CodeResourceNotFound, 404, openai.TypeInvalidRequest, 1},
		{bedrocktest.CodeServiceQuotaExceeded, 429, openai.TypeRateLimit, 1},
		{bedrocktest.CodeModelTimeout, 504, openai.TypeTimeout, 1},
		{bedrocktest.CodeModelNotReady, 503, openai.TypeServer, 3},
		{bedrocktest.CodeServiceUnavailable, 503, openai.TypeServer, 3},
		{bedrocktest.CodeModelError, 502, openai.TypeUpstream, 1},
		{bedrocktest.CodeInternalServer, 500, openai.TypeServer, 3},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.code, stream), func(t *testing.T) {
				msg := "scripted " + tt.code
				srv := bedrocktest.New(t, bedrocktest.WithDefault(bedrocktest.ErrorReply(tt.code, msg)))
				base, _ := startBedrockGateway(t, srv, nil)
				resp, body := post(t, base+"/v1/chat/completions", chatBody(haikuID, "hi", fmt.Sprintf(`"stream":%v`, stream)))
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("got status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("got Content-Type %q, want application/json", ct)
				}
				e := decode[errorJSON](t, string(body))
				if e.Error.Type != tt.wantType || e.Error.Message != msg {
					t.Errorf("got %s, want type %s and Bedrock's message", body, tt.wantType)
				}
				if n := len(srv.Requests()); n != tt.attempts {
					t.Errorf("Bedrock got %d requests, want %d", n, tt.attempts)
				}
				if got, want := resp.Header.Get(server.HeaderUpstreamRequestID), lastRequest(t, srv).RequestID; got != want {
					t.Errorf("got %s %q, want Bedrock's %q", server.HeaderUpstreamRequestID, got, want)
				}
			})
		}
	}
}

// TestBedrockE2EStreamFailures breaks Bedrock's stream after three frames
// (messageStart and two text deltas): the client gets the three chunks
// sent so far, then exactly one OpenAI error event, and no [DONE].
func TestBedrockE2EStreamFailures(t *testing.T) {
	tests := []struct {
		name     string
		fault    *bedrocktest.Fault
		wantType string
	}{
		{"exception", bedrocktest.ExceptionAfter(3, bedrocktest.CodeModelStreamError, "The model stream failed."), openai.TypeUpstream},
		{"throttling exception", bedrocktest.ExceptionAfter(3, bedrocktest.CodeThrottling, bedrocktest.MsgThrottling), openai.TypeRateLimit},
		{"internal exception", bedrocktest.ExceptionAfter(3, bedrocktest.CodeInternalServer, "Internal failure."), openai.TypeServer},
		{"error frame", bedrocktest.ErrorFrameAfter(3, "InternalFailure", "Something broke."), openai.TypeUpstream},
		{"cut", bedrocktest.CutAfter(3), openai.TypeUpstream},
		{"truncated frame", bedrocktest.TruncateAfter(3), openai.TypeUpstream},
		{"corrupt frame", bedrocktest.CorruptAfter(3), openai.TypeUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bedrocktest.New(t, bedrocktest.WithDefault(bedrocktest.Reply{Text: "one two three four five", Fault: tt.fault}))
			base, _ := startBedrockGateway(t, srv, nil)
			resp, body := post(t, base+"/v1/chat/completions", chatBody(e2eAlias, "hi", `"stream":true`))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200 (the stream had started): %s", resp.StatusCode, body)
			}
			events := dataEvents(body)
			if len(events) != 4 {
				t.Fatalf("got %d events, want 3 chunks and one error event:\n%s", len(events), body)
			}
			for i, want := range []string{`"role":"assistant"`, `"content":"one "`, `"content":"two "`} {
				if !strings.Contains(events[i], want) || !strings.Contains(events[i], `"model":"`+e2eAlias+`"`) {
					t.Errorf("event %d: got %s, want a chunk with %s", i, events[i], want)
				}
			}
			e := decode[errorJSON](t, events[3])
			if e.Error.Message == "" || e.Error.Type != tt.wantType {
				t.Errorf("last event: got %s, want an OpenAI error of type %q", events[3], tt.wantType)
			}
		})
	}
}

// TestBedrockE2EClientDisconnect closes the client mid-stream: Bedrock's
// stream must be cancelled, and no goroutine of the request may outlive
// it.
func TestBedrockE2EClientDisconnect(t *testing.T) {
	srv := bedrocktest.New(t,
		bedrocktest.WithAnswer(strings.Repeat("word ", 200)),
		bedrocktest.WithDefault(bedrocktest.Reply{EventDelay: 20 * time.Millisecond}))
	base, _ := startBedrockGateway(t, srv, nil)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	// One whole stream first, so that pools and lazily started goroutines
	// exist before the baseline is taken.
	resp, err := client.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(string(chatBody(haikuID, "hi", `"stream":true,"max_tokens":3`))))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	baseline := settledGoroutines()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions",
		strings.NewReader(string(chatBody(haikuID, "hi", `"stream":true`))))
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	select {
	case rec := <-srv.Canceled():
		if rec.Operation != bedrocktest.OpConverseStream {
			t.Errorf("cancelled: got %s, want the ConverseStream", rec.Operation)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Bedrock's stream was not cancelled after the client went away")
	}
	if n := settledGoroutines(); n > baseline {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutines: %d after the request, %d before\n%s", n, baseline, buf)
	}
}

// arnEscaper escapes a path segment as encodeURIComponent does, as the
// OpenAI SDKs send a model ID in GET /v1/models/{id}.
var arnEscaper = strings.NewReplacer(":", "%3A", "/", "%2F")

// TestBedrockE2EARNModels serves ARNs as public model names: an
// application inference profile and a foundation model. They reach Bedrock
// escaped as one path segment, and GET /v1/models/{arn} finds them,
// escaped or not.
func TestBedrockE2EARNModels(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	base, _ := startBedrockGateway(t, srv, nil)
	for _, arn := range []string{appProfileARN, haikuARN} {
		t.Run(arn, func(t *testing.T) {
			for _, stream := range []bool{false, true} {
				resp, body := post(t, base+"/v1/chat/completions", chatBody(arn, "hi", fmt.Sprintf(`"stream":%v`, stream)))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("stream=%v: got status %d: %s", stream, resp.StatusCode, body)
				}
				if !strings.Contains(string(body), `"model":"`+arn+`"`) {
					t.Errorf("stream=%v: answer does not name the model %q: %s", stream, arn, body)
				}
				rec := lastRequest(t, srv)
				wantPath := "/model/" + arnEscaper.Replace(arn) + "/converse"
				if stream {
					wantPath += "-stream"
				}
				if rec.ModelID != arn || rec.Path != wantPath {
					t.Errorf("stream=%v: Bedrock got model %q at %q, want %q at %q", stream, rec.ModelID, rec.Path, arn, wantPath)
				}
			}
			for _, id := range []string{arn, arnEscaper.Replace(arn)} {
				resp, body := get(t, base+"/v1/models/"+id)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET /v1/models/%s: got status %d: %s", id, resp.StatusCode, body)
				}
				if m := decode[openai.Model](t, string(body)); m.ID != arn || m.OwnedBy != "aws" {
					t.Errorf("GET /v1/models/%s: got %s, want %s owned by aws", id, body, arn)
				}
			}
		})
	}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestBedrockE2EWrongSecret signs with a wrong secret key: Bedrock refuses
// the signature, and the client gets a 403 permission error that does not
// leak the key.
func TestBedrockE2EWrongSecret(t *testing.T) {
	const wrong = "not/the/right/secret/key/00000000000000000"
	srv := bedrocktest.New(t)
	base, _ := startBedrockGateway(t, srv, map[string]string{"AWS_SECRET_ACCESS_KEY": wrong})
	resp, body := post(t, base+"/v1/chat/completions", chatBody(haikuID, "hi", ""))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("got status %d, want 403: %s", resp.StatusCode, body)
	}
	if e := decode[errorJSON](t, string(body)); e.Error.Type != openai.TypePermission {
		t.Errorf("got %s, want a %s", body, openai.TypePermission)
	}
	if strings.Contains(string(body), wrong) || strings.Contains(string(body), bedrocktest.AccessKeyID) {
		t.Errorf("error leaks the credentials: %s", body)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Auth != bedrocktest.AuthSigV4 || reqs[0].AccessKeyID != bedrocktest.AccessKeyID {
		t.Errorf("Bedrock got %d requests (first %+v), want one SigV4 request, not retried", len(reqs), reqs)
	}
}

// TestBedrockE2EOnDemandUnsupported asks a configured deployment for a
// model Bedrock serves only through inference profiles, by its bare ID:
// Bedrock refuses it, the gateway retries once with the region's
// cross-region profile, and later requests go to the profile directly.
func TestBedrockE2EOnDemandUnsupported(t *testing.T) {
	srv := bedrocktest.New(t)
	base, logs := startBedrockGateway(t, srv, nil)
	profile := "us." + sonnet37ID
	for i, stream := range []bool{false, true, false} {
		resp, body := post(t, base+"/v1/chat/completions", chatBody(sonnet37ID, "hi", fmt.Sprintf(`"stream":%v`, stream)))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: got status %d, want 200: %s", i, resp.StatusCode, body)
		}
		if !strings.Contains(string(body), `"model":"`+sonnet37ID+`"`) {
			t.Errorf("request %d: answer does not name the model %q: %s", i, sonnet37ID, body)
		}
		line := accessLine(t, logs, resp.Header.Get(middleware.HeaderRequestID))
		retries, _ := line["retries"].([]any)
		switch {
		case i == 0 && (len(retries) != 1 || !strings.Contains(fmt.Sprint(retries[0]), profile)):
			t.Errorf("request %d: access log retries %v, want the retry on %s", i, line["retries"], profile)
		case i > 0 && len(retries) != 0:
			t.Errorf("request %d: access log retries %v, want none", i, line["retries"])
		}
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.ModelID)
	}
	// The first request is refused on the bare ID and retried on the
	// profile; the others go to the profile at once.
	want := []string{sonnet37ID, profile, profile, profile}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Bedrock got models (-want +got):\n%s", diff)
	}
}

// TestBedrockE2ENoCrossRegion: with cross-region inference off, a model
// that Bedrock serves only through a profile is not retried on one (it
// could run the request in another region): Bedrock's refusal reaches the
// client.
func TestBedrockE2ENoCrossRegion(t *testing.T) {
	srv := bedrocktest.New(t)
	base, _ := startBedrockGatewayWith(t, srv, nil, func(cfg *config.Config) {
		off := false
		cfg.Bedrock.CrossRegionInference = &off
	})
	resp, body := post(t, base+"/v1/chat/completions", chatBody(sonnet37ID, "hi", `"stream":false`))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "on-demand throughput") {
		t.Errorf("got status %d %s, want 400 with Bedrock's on-demand message", resp.StatusCode, body)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.ModelID)
	}
	if diff := cmp.Diff([]string{sonnet37ID}, got); diff != "" {
		t.Errorf("Bedrock got models (-want +got):\n%s", diff)
	}
}

// TestBedrockE2EStreamFirstEventRetry: Bedrock accepts a stream (200) and
// then throttles in place of its first event. Nothing has reached the
// client, so the gateway opens the stream again, and the client sees only
// the answer; a non-retryable first exception reaches the client as a
// plain error with its status, before any chunk.
func TestBedrockE2EStreamFirstEventRetry(t *testing.T) {
	t.Run("throttled first", func(t *testing.T) {
		srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{
			Operation: bedrocktest.OpConverseStream,
			Events:    []bedrocktest.Event{bedrocktest.Exception(bedrocktest.CodeThrottling, bedrocktest.MsgThrottling)},
		}))
		base, logs := startBedrockGateway(t, srv, nil)
		resp, body := post(t, base+"/v1/chat/completions", chatBody(e2eAlias, "hi", `"stream":true`))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "data: [DONE]") {
			t.Fatalf("got status %d, want a whole stream: %s", resp.StatusCode, body)
		}
		if strings.Contains(string(body), `"error"`) {
			t.Errorf("the client saw the throttling: %s", body)
		}
		if n := len(srv.Requests()); n != 2 {
			t.Errorf("Bedrock got %d requests, want 2", n)
		}
		line := accessLine(t, logs, resp.Header.Get(middleware.HeaderRequestID))
		if retries := fmt.Sprint(line["retries"]); !strings.Contains(retries, "ThrottlingException (first event)") {
			t.Errorf("access log retries %s, want the first-event throttling", retries)
		}
	})
	t.Run("validation first", func(t *testing.T) {
		srv := bedrocktest.New(t, bedrocktest.WithDefault(bedrocktest.Reply{
			Operation: bedrocktest.OpConverseStream,
			Events:    []bedrocktest.Event{bedrocktest.Exception(bedrocktest.CodeValidation, "Bad input.")},
		}))
		base, _ := startBedrockGateway(t, srv, nil)
		resp, body := post(t, base+"/v1/chat/completions", chatBody(e2eAlias, "hi", `"stream":true`))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Bad input.") {
			t.Errorf("got status %d %s, want 400 with Bedrock's message", resp.StatusCode, body)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("Bedrock got %d requests, want 1 (no retry)", n)
		}
	})
}
