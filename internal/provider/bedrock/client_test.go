package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// testModel is an on-demand model of the emulator's catalogue.
const testModel = "amazon.nova-micro-v1:0"

// emulatorClient returns a Client of the emulator, SigV4-signed with its
// long-term credentials unless cfg says otherwise, with a fake clock and
// sleep, and jitter fixed at half the backoff ceiling.
func emulatorClient(t testing.TB, srv *bedrocktest.Server, cfg Config) (*Client, *fakeClock) {
	t.Helper()
	cfg.Name = "emu"
	if cfg.Endpoint == "" && cfg.Getenv == nil {
		cfg.Endpoint = srv.URL()
	}
	if cfg.Region == "" {
		cfg.Region = srv.Region()
	}
	envKey := cfg.Getenv != nil && cfg.Getenv(EnvBearerToken) != ""
	if cfg.Credentials == nil && cfg.APIKey == "" && !envKey {
		cfg.Credentials = bedrocktest.LongTermCredentials().Provider()
	}
	if cfg.Getenv == nil {
		cfg.Getenv = env(nil)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: time.Now()}
	c.t.retry.rand = func() float64 { return 0.5 }
	c.t.retry.now, c.t.retry.sleep = clk.Now, clk.Sleep
	return c, clk
}

// chatRequest is a one-turn request as the router passes it on: Model is
// the Bedrock ID, ClientModel the public name.
func chatRequest(model, text string) *openai.ChatCompletionRequest {
	return &openai.ChatCompletionRequest{
		Model:       model,
		ClientModel: "public-name",
		Messages:    []openai.Message{{Role: openai.RoleUser, Content: openai.TextContent(text)}},
	}
}

// streamResult is what a chat stream delivered.
type streamResult struct {
	Role, Content, Finish string
	Usage                 *openai.Usage
	Chunks                int
	Err                   error
}

// collect reads a chat stream to its end.
func collect(t testing.TB, s provider.ChatStream) streamResult {
	t.Helper()
	defer s.Close()
	var r streamResult
	for {
		ch, err := s.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.Err = err
			}
			return r
		}
		r.Chunks++
		if ch.Model != "public-name" || !strings.HasPrefix(ch.ID, "chatcmpl-") {
			t.Errorf("chunk id %q model %q, want chatcmpl-... and public-name", ch.ID, ch.Model)
		}
		if ch.Usage != nil {
			r.Usage = ch.Usage
		}
		for _, c := range ch.Choices {
			if c.Delta.Role != "" {
				r.Role = c.Delta.Role
			}
			if c.Delta.Content != nil {
				r.Content += *c.Delta.Content
			}
			if c.FinishReason != nil {
				r.Finish = *c.FinishReason
			}
		}
	}
}

func TestClientConverse(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{
		Text: "Hello there.", Usage: &bedrocktest.Usage{InputTokens: 3, OutputTokens: 2},
	}))
	c, _ := emulatorClient(t, srv, Config{})
	resp, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Model != "public-name" || resp.Created == 0 {
		t.Errorf("got id %q model %q created %d, want chatcmpl-..., public-name, now", resp.ID, resp.Model, resp.Created)
	}
	msg := resp.Choices[0].Message
	if msg.Content == nil || *msg.Content != "Hello there." || resp.Choices[0].FinishReason != openai.FinishStop {
		t.Errorf("got content %v finish %q, want \"Hello there.\" stop", msg.Content, resp.Choices[0].FinishReason)
	}
	if u := resp.Usage; u == nil || u.PromptTokens != 3 || u.CompletionTokens != 2 || u.TotalTokens != 5 {
		t.Errorf("got usage %+v, want 3+2=5", resp.Usage)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Operation != bedrocktest.OpConverse || r.Path != "/model/amazon.nova-micro-v1%3A0/converse" || r.ModelID != testModel {
		t.Errorf("got %s %s (model %q), want Converse on the escaped path", r.Operation, r.Path, r.ModelID)
	}
	var sent ConverseRequest
	if err := json.Unmarshal(r.Body, &sent); err != nil {
		t.Fatal(err)
	}
	if len(sent.Messages) != 1 || *sent.Messages[0].Content[0].Text != "Hi" {
		t.Errorf("sent %s, want the user turn", r.Body)
	}
}

func TestClientConverseStream(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{
		Text: "Hello there, how are you today?", Usage: &bedrocktest.Usage{InputTokens: 4, OutputTokens: 6},
	}))
	c, _ := emulatorClient(t, srv, Config{})
	s, err := c.ChatCompletionStream(context.Background(), chatRequest(testModel, "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, s)
	want := streamResult{
		Role: "assistant", Content: "Hello there, how are you today?", Finish: "stop",
		Usage:  &openai.Usage{PromptTokens: 4, CompletionTokens: 6, TotalTokens: 10},
		Chunks: got.Chunks,
	}
	if got.Usage != nil {
		got.Usage = &openai.Usage{PromptTokens: got.Usage.PromptTokens, CompletionTokens: got.Usage.CompletionTokens, TotalTokens: got.Usage.TotalTokens}
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) && errors.Is(b, a) })); diff != "" {
		t.Errorf("stream mismatch (-want +got):\n%s", diff)
	}
	if got.Chunks < 4 {
		t.Errorf("got %d chunks, want role, content, finish and usage chunks", got.Chunks)
	}
	if r := srv.Requests()[0]; r.Path != "/model/amazon.nova-micro-v1%3A0/converse-stream" {
		t.Errorf("path got %q", r.Path)
	}
}

// TestClientAuth checks every way of authenticating against the
// emulator's verification.
func TestClientAuth(t *testing.T) {
	wrongSecret := bedrocktest.LongTermCredentials()
	wrongSecret.SecretAccessKey = "not-the-secret"
	tests := []struct {
		name       string
		tls        bool
		cfg        Config
		wantAuth   bedrocktest.AuthKind
		wantStatus int // 0: success
	}{
		{name: "sigv4", cfg: Config{}, wantAuth: bedrocktest.AuthSigV4},
		{name: "session token", cfg: Config{Credentials: bedrocktest.TemporaryCredentials().Provider()}, wantAuth: bedrocktest.AuthSigV4},
		{name: "wrong secret", cfg: Config{Credentials: wrongSecret.Provider()}, wantAuth: bedrocktest.AuthSigV4, wantStatus: 403},
		{name: "bearer", tls: true, cfg: Config{APIKey: bedrocktest.BearerToken}, wantAuth: bedrocktest.AuthBearer},
		{name: "bearer from env", tls: true, cfg: Config{Getenv: env(map[string]string{EnvBearerToken: bedrocktest.BearerToken})}, wantAuth: bedrocktest.AuthBearer},
		{name: "wrong bearer", tls: true, cfg: Config{APIKey: "nope"}, wantAuth: bedrocktest.AuthBearer, wantStatus: 403},
		{name: "bearer over loopback http", cfg: Config{APIKey: bedrocktest.BearerToken}, wantAuth: bedrocktest.AuthBearer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []bedrocktest.Option
			if tt.tls {
				opts = append(opts, bedrocktest.WithTLS())
			}
			srv := bedrocktest.New(t, opts...)
			cfg := tt.cfg
			cfg.Endpoint = srv.URL()
			if tt.tls {
				cfg.Transport = srv.Client().Transport
			}
			c, _ := emulatorClient(t, srv, cfg)
			_, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi"))
			_ = checkStatus(t, err, tt.wantStatus)
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1 (no retry)", len(reqs))
			}
			if reqs[0].Auth != tt.wantAuth {
				t.Errorf("auth got %q, want %q", reqs[0].Auth, tt.wantAuth)
			}
		})
	}
}

// checkStatus checks that err is nil (want 0) or an UpstreamError with
// status want.
func checkStatus(t testing.TB, err error, want int) *provider.UpstreamError {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return nil
	}
	var ue *provider.UpstreamError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want an UpstreamError with status %d", err, want)
	}
	if ue.Status != want {
		t.Errorf("status got %d, want %d (%v)", ue.Status, want, err)
	}
	return ue
}

func TestClientWrongSecretMessage(t *testing.T) {
	srv := bedrocktest.New(t)
	creds := bedrocktest.LongTermCredentials()
	creds.SecretAccessKey = "wrong"
	c, _ := emulatorClient(t, srv, Config{Credentials: creds.Provider()})
	_, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi"))
	ue := checkStatus(t, err, http.StatusForbidden)
	if ue.Err.Type != openai.TypePermission || ue.Err.Message != bedrocktest.MsgBadSignature || ue.RequestID == "" {
		t.Errorf("got %+v (request ID %q), want permission_error with Bedrock's message and request ID", ue.Err, ue.RequestID)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q shows the secret", err)
	}
}

func TestClientARN(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	arn := bedrocktest.ApplicationProfileARN(srv.Region(), bedrocktest.AppProfileHaiku)
	c, _ := emulatorClient(t, srv, Config{})
	for _, stream := range []bool{false, true} {
		var err error
		if stream {
			var s provider.ChatStream
			if s, err = c.ChatCompletionStream(context.Background(), chatRequest(arn, "Hi")); err == nil {
				err = collect(t, s).Err
			}
		} else {
			_, err = c.ChatCompletion(context.Background(), chatRequest(arn, "Hi"))
		}
		if err != nil {
			t.Fatalf("stream %v: %v", stream, err)
		}
	}
	for _, r := range srv.Requests() {
		if r.ModelID != arn || !strings.HasPrefix(r.Path, "/model/"+escapeSegment(arn)+"/") || !strings.Contains(r.Path, "%2F") {
			t.Errorf("got path %q model %q, want the ARN as one escaped segment", r.Path, r.ModelID)
		}
	}
}

// TestClientErrorCodes answers with every Bedrock error before any
// stream, for Converse and ConverseStream.
func TestClientErrorCodes(t *testing.T) {
	tests := []struct {
		code       string
		wantStatus int
		wantType   string
	}{
		{bedrocktest.CodeValidation, 400, openai.TypeInvalidRequest},
		{bedrocktest.CodeAccessDenied, 403, openai.TypePermission},
		{bedrocktest.CodeResourceNotFound, 404, openai.TypeInvalidRequest},
		{bedrocktest.CodeThrottling, 429, openai.TypeRateLimit},
		{bedrocktest.CodeServiceQuotaExceeded, 429, openai.TypeRateLimit},
		{bedrocktest.CodeModelNotReady, 503, openai.TypeServer},
		{bedrocktest.CodeServiceUnavailable, 503, openai.TypeServer},
		{bedrocktest.CodeModelTimeout, 504, openai.TypeTimeout},
		{bedrocktest.CodeModelError, 502, openai.TypeUpstream},
		{bedrocktest.CodeModelStreamError, 502, openai.TypeUpstream},
		{bedrocktest.CodeInternalServer, 500, openai.TypeServer},
		{"SomeNewFault", 500, openai.TypeServer},
	}
	for _, form := range []bedrocktest.ErrorForm{bedrocktest.FormHeader, bedrocktest.FormBody} {
		for _, tt := range tests {
			for _, stream := range []bool{false, true} {
				name := tt.code + map[bool]string{false: "/converse", true: "/stream"}[stream]
				t.Run(name+map[bedrocktest.ErrorForm]string{bedrocktest.FormHeader: "/header", bedrocktest.FormBody: "/body"}[form], func(t *testing.T) {
					srv := bedrocktest.New(t, bedrocktest.WithErrorForm(form),
						bedrocktest.WithReplies(bedrocktest.ErrorReply(tt.code, "message for "+tt.code)))
					c, _ := emulatorClient(t, srv, Config{MaxAttempts: 1})
					var err error
					if stream {
						_, err = c.ChatCompletionStream(context.Background(), chatRequest(testModel, "Hi"))
					} else {
						_, err = c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi"))
					}
					ue := checkStatus(t, err, tt.wantStatus)
					if ue.Err.Type != tt.wantType || ue.Err.Message != "message for "+tt.code {
						t.Errorf("got %+v, want type %q and Bedrock's message", ue.Err, tt.wantType)
					}
					if want := srv.Requests()[0].RequestID; ue.RequestID != want {
						t.Errorf("request ID got %q, want %q", ue.RequestID, want)
					}
					if tt.wantStatus == 429 && ue.RetryAfter <= 0 {
						t.Errorf("got no Retry-After on a 429")
					}
				})
			}
		}
	}
}

// TestClientRetries scripts failures before the answer and checks the
// attempts made, the retries reported and the outcome.
func TestClientRetries(t *testing.T) {
	throttled := bedrocktest.Throttled()
	ok := bedrocktest.Reply{}
	tests := []struct {
		name        string
		replies     []bedrocktest.Reply
		wantStatus  int
		wantRetries []provider.Retry
	}{
		{
			name:    "throttled twice then served",
			replies: []bedrocktest.Reply{throttled, throttled, ok},
			wantRetries: []provider.Retry{
				{Attempt: 1, Cause: "ThrottlingException (HTTP 429)", Wait: 100 * time.Millisecond},
				{Attempt: 2, Cause: "ThrottlingException (HTTP 429)", Wait: 200 * time.Millisecond},
			},
		},
		{
			name:       "throttled three times",
			replies:    bedrocktest.Times(3, throttled),
			wantStatus: 429,
			wantRetries: []provider.Retry{
				{Attempt: 1, Cause: "ThrottlingException (HTTP 429)", Wait: 100 * time.Millisecond},
				{Attempt: 2, Cause: "ThrottlingException (HTTP 429)", Wait: 200 * time.Millisecond},
			},
		},
		{
			name:        "server errors",
			replies:     []bedrocktest.Reply{bedrocktest.ErrorReply(bedrocktest.CodeInternalServer, "x"), bedrocktest.ErrorReply(bedrocktest.CodeServiceUnavailable, "y"), ok},
			wantRetries: []provider.Retry{{Attempt: 1, Cause: "InternalServerException (HTTP 500)", Wait: 100 * time.Millisecond}, {Attempt: 2, Cause: "ServiceUnavailableException (HTTP 503)", Wait: 200 * time.Millisecond}},
		},
		{
			name:        "model not ready",
			replies:     []bedrocktest.Reply{bedrocktest.ErrorReply(bedrocktest.CodeModelNotReady, "loading"), ok},
			wantRetries: []provider.Retry{{Attempt: 1, Cause: "ModelNotReadyException (HTTP 429)", Wait: 100 * time.Millisecond}},
		},
		{
			name:        "retry after honoured",
			replies:     []bedrocktest.Reply{{Error: throttled.Error, Header: http.Header{"Retry-After": {"2"}}}, ok},
			wantRetries: []provider.Retry{{Attempt: 1, Cause: "ThrottlingException (HTTP 429)", Wait: 2 * time.Second}},
		},
		{name: "validation not retried", replies: []bedrocktest.Reply{bedrocktest.ErrorReply(bedrocktest.CodeValidation, "bad"), ok}, wantStatus: 400},
		{name: "quota not retried", replies: []bedrocktest.Reply{bedrocktest.ErrorReply(bedrocktest.CodeServiceQuotaExceeded, "quota"), ok}, wantStatus: 429},
		{name: "model error not retried", replies: []bedrocktest.Reply{bedrocktest.ErrorReply(bedrocktest.CodeModelError, "boom"), ok}, wantStatus: 502},
		{name: "model timeout not retried", replies: []bedrocktest.Reply{bedrocktest.ErrorReply(bedrocktest.CodeModelTimeout, "slow"), ok}, wantStatus: 504},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: "/converse", true: "/stream"}[stream], func(t *testing.T) {
				srv := bedrocktest.New(t, bedrocktest.WithReplies(tt.replies...))
				c, clk := emulatorClient(t, srv, Config{})
				ctx, rec := recordingContext()
				var err error
				if stream {
					var s provider.ChatStream
					if s, err = c.ChatCompletionStream(ctx, chatRequest(testModel, "Hi")); err == nil {
						err = collect(t, s).Err
					}
				} else {
					_, err = c.ChatCompletion(ctx, chatRequest(testModel, "Hi"))
				}
				_ = checkStatus(t, err, tt.wantStatus)
				if diff := cmp.Diff(tt.wantRetries, rec.list()); diff != "" {
					t.Errorf("retries mismatch (-want +got):\n%s", diff)
				}
				if got, want := len(srv.Requests()), len(tt.wantRetries)+1; got != want {
					t.Errorf("got %d attempts, want %d", got, want)
				}
				if len(clk.sleeps) != len(tt.wantRetries) {
					t.Errorf("got %d pauses, want %d", len(clk.sleeps), len(tt.wantRetries))
				}
			})
		}
	}
}

// TestClientStreamFaults breaks streams after their first events: the
// events before arrive, the failure comes from Recv, nothing is retried.
func TestClientStreamFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      *bedrocktest.Fault
		events     []bedrocktest.Event
		wantStatus int
	}{
		{name: "throttling exception", fault: bedrocktest.ExceptionAfter(2, bedrocktest.CodeThrottling, bedrocktest.MsgThrottling), wantStatus: 429},
		{name: "model stream error", fault: bedrocktest.ExceptionAfter(2, bedrocktest.CodeModelStreamError, "model broke"), wantStatus: 502},
		{name: "validation exception", fault: bedrocktest.ExceptionAfter(2, bedrocktest.CodeValidation, "bad"), wantStatus: 400},
		{name: "error frame", fault: bedrocktest.ErrorFrameAfter(2, "InternalFailure", "oops"), wantStatus: 502},
		{name: "truncated frame", fault: bedrocktest.TruncateAfter(2), wantStatus: 502},
		{name: "corrupt frame", fault: bedrocktest.CorruptAfter(2), wantStatus: 502},
		{name: "connection cut", fault: bedrocktest.CutAfter(2), wantStatus: 502},
		{
			name:       "ends before messageStop",
			events:     []bedrocktest.Event{bedrocktest.MessageStart(), bedrocktest.TextDelta(0, "Hel")},
			wantStatus: 502,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{Text: "Hello there, how are you?", Fault: tt.fault, Events: tt.events}))
			c, _ := emulatorClient(t, srv, Config{})
			ctx, rec := recordingContext()
			s, err := c.ChatCompletionStream(ctx, chatRequest(testModel, "Hi"))
			if err != nil {
				t.Fatal(err)
			}
			got := collect(t, s)
			_ = checkStatus(t, got.Err, tt.wantStatus)
			if got.Role != "assistant" || got.Content == "" {
				t.Errorf("got role %q content %q before the failure, want the first events", got.Role, got.Content)
			}
			if n := len(srv.Requests()); n != 1 || len(rec.list()) != 0 {
				t.Errorf("got %d attempts and retries %v, want 1 and none", n, rec.list())
			}
		})
	}
}

// TestClientCancel cancels the caller's context in the middle of a stream:
// Recv returns the cancellation and the emulator sees the request go.
func TestClientCancel(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{Text: "one two three four five", EventDelay: time.Minute}))
	c, _ := emulatorClient(t, srv, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := c.ChatCompletionStream(ctx, chatRequest(testModel, "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Recv(); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	waitCanceled(t, srv)
}

// TestClientCloseMidStream closes a stream that is still running.
func TestClientCloseMidStream(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{Text: "one two three", EventDelay: time.Minute}))
	c, _ := emulatorClient(t, srv, Config{})
	s, err := c.ChatCompletionStream(context.Background(), chatRequest(testModel, "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if _, err := s.Recv(); err == nil {
		t.Error("Recv after Close got nil error")
	}
	waitCanceled(t, srv)
}

// TestClientIdleTimeout lets a stream fall silent for longer than the idle
// timeout: a 504, and the request is abandoned.
func TestClientIdleTimeout(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{Text: "one two three", EventDelay: time.Minute}))
	c, _ := emulatorClient(t, srv, Config{StreamIdleTimeout: 50 * time.Millisecond})
	s, err := c.ChatCompletionStream(context.Background(), chatRequest(testModel, "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, s)
	_ = checkStatus(t, got.Err, http.StatusGatewayTimeout)
	waitCanceled(t, srv)
}

// waitCanceled waits for the emulator to report a canceled request.
func waitCanceled(t *testing.T, srv *bedrocktest.Server) {
	t.Helper()
	select {
	case <-srv.Canceled():
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator saw no cancellation")
	}
}

// TestClientEndpointFromEnv points the client at the emulator through
// the SDK's environment variables only.
func TestClientEndpointFromEnv(t *testing.T) {
	srv := bedrocktest.New(t)
	vars := map[string]string{
		EnvEndpointRuntime:         srv.URL(),
		EnvEndpoint:                "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_BEDROCK": "http://127.0.0.1:1",
		EnvRegion:                  srv.Region(),
	}
	c, _ := emulatorClient(t, srv, Config{Getenv: env(vars)})
	if _, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi")); err != nil {
		t.Fatal(err)
	}
	if c.Endpoint() != srv.URL() {
		t.Errorf("endpoint got %q, want %q", c.Endpoint(), srv.URL())
	}
}

// TestClientTranslationError checks that a request Bedrock cannot serve
// is refused before anything is sent.
func TestClientTranslationError(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	req := chatRequest(testModel, "Hi")
	n := 2
	req.N = &n
	_, err := c.ChatCompletion(context.Background(), req)
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.Status != http.StatusBadRequest {
		t.Errorf("got %v, want a 400 openai.Error", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("the request reached Bedrock")
	}
}

// TestClientConcurrent runs calls and streams in parallel (for -race).
func TestClientConcurrent(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithoutRecording())
	c, _ := emulatorClient(t, srv, Config{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi")); err != nil {
				t.Error(err)
			}
			s, err := c.ChatCompletionStream(context.Background(), chatRequest(testModel, "Hi"))
			if err != nil {
				t.Error(err)
				return
			}
			if r := collect(t, s); r.Err != nil || r.Content != bedrocktest.EchoAnswer("Hi") {
				t.Errorf("got %q, %v", r.Content, r.Err)
			}
		}()
	}
	wg.Wait()
}

// TestClientDefaultChain leaves credentials to the AWS SDK's default
// chain, fed by the process environment and a shared config file that
// also supplies the region.
func TestClientDefaultChain(t *testing.T) {
	srv := bedrocktest.New(t)
	dir := t.TempDir()
	configFile := filepath.Join(dir, "config")
	if err := os.WriteFile(configFile, []byte("[default]\nregion = "+srv.Region()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             configFile,
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE":                 "",
		"AWS_ACCESS_KEY_ID":           bedrocktest.TempAccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       bedrocktest.TempSecretAccessKey,
		"AWS_SESSION_TOKEN":           bedrocktest.SessionToken,
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_BEARER_TOKEN_BEDROCK":    "",
	} {
		t.Setenv(k, v)
	}
	c, err := New(context.Background(), Config{Name: "chain", Endpoint: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != srv.Region() {
		t.Errorf("region got %q, want %q from the shared config", c.Region(), srv.Region())
	}
	if _, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi")); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.AccessKeyID != bedrocktest.TempAccessKeyID || r.Header.Get("X-Amz-Security-Token") != bedrocktest.SessionToken {
		t.Errorf("got key %q token %q, want the environment's", r.AccessKeyID, r.Header.Get("X-Amz-Security-Token"))
	}
}

// countingCreds hands out the emulator's temporary credentials, valid for
// ttl, and counts how often it is asked.
type countingCreds struct {
	ttl time.Duration
	n   atomic.Int32
}

func (c *countingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	c.n.Add(1)
	tc := bedrocktest.TemporaryCredentials()
	return aws.Credentials{
		AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey, SessionToken: tc.SessionToken,
		CanExpire: true, Expires: time.Now().Add(c.ttl),
	}, nil
}

// TestClientCredentialsCache checks that credentials are cached while
// valid and fetched again when they come within the expiry window.
func TestClientCredentialsCache(t *testing.T) {
	tests := []struct {
		name  string
		ttl   time.Duration
		wantN int32
	}{
		{"valid for an hour", time.Hour, 1},
		{"expiring within the window", time.Minute, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bedrocktest.New(t)
			creds := &countingCreds{ttl: tt.ttl}
			c, _ := emulatorClient(t, srv, Config{Credentials: creds})
			for i := 0; i < 3; i++ {
				if _, err := c.ChatCompletion(context.Background(), chatRequest(testModel, "Hi")); err != nil {
					t.Fatal(err)
				}
			}
			if got := creds.n.Load(); got != tt.wantN {
				t.Errorf("credentials fetched %d times, want %d", got, tt.wantN)
			}
		})
	}
}
