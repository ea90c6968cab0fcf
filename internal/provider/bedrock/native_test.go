package bedrock

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// nativeCase is a model family's request, as a client of POST /chat
// sends it, and what the emulator's canned answer to it is.
type nativeCase struct {
	name, model, body string
	// input is the emulator's input token count of the body.
	input  int
	format NativeFormat
	stop   string
}

// sayHi is the user text of every nativeCase.
const sayHi = "Say hi"

// nativeCases covers every family the emulator answers. Whitespace and
// member order are unusual on purpose: the body must reach Bedrock byte
// for byte.
func nativeCases() []nativeCase {
	llamaPrompt := "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nSay hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	return []nativeCase{
		{"anthropic", "anthropic.claude-3-haiku-20240307-v1:0", `{ "max_tokens": 100, "messages": [{"role":"user","content":"Say hi"}], "anthropic_version": "bedrock-2023-05-31" }`, 2, FormatAnthropic, "end_turn"},
		{"llama", "meta.llama3-8b-instruct-v1:0", `{"prompt":` + strconv.Quote(llamaPrompt) + `,"max_gen_len":100}`, bedrocktest.Tokens(llamaPrompt), FormatLlama, "stop"},
		{"mistral text", "mistral.mistral-7b-instruct-v0:2", `{"prompt":"<s>[INST] Say hi [/INST]","max_tokens":100}`, 4, FormatMistral, "stop"},
		{"mistral chat", "mistral.mistral-large-2407-v1:0", `{"messages":[{"role":"user","content":"Say hi"}],"max_tokens":100}`, 2, FormatChoices, "stop"},
		{"titan text", "amazon.titan-text-express-v1", `{"inputText":"Say hi","textGenerationConfig":{"maxTokenCount":100}}`, 2, FormatTitan, "FINISH"},
		{"nova", "amazon.nova-micro-v1:0", `{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"Say hi"}]}],"inferenceConfig":{"max_new_tokens":100}}`, 2, FormatNova, "end_turn"},
		{"cohere command", "cohere.command-text-v14", `{"prompt":"Say hi","max_tokens":100}`, 2, FormatCohere, "COMPLETE"},
		{"cohere command r", "cohere.command-r-plus-v1:0", `{"message":"Say hi","max_tokens":100}`, 2, FormatCohere, "COMPLETE"},
		{"ai21 jamba", "ai21.jamba-1-5-mini-v1:0", `{"messages":[{"role":"user","content":"Say hi"}],"max_tokens":100}`, 2, FormatChoices, "stop"},
		{"deepseek r1", "deepseek.r1-v1:0", `{"prompt":"Say hi","max_tokens":100}`, 2, FormatChoices, "stop"},
		{"openai gpt-oss", "openai.gpt-oss-120b-1:0", `{"messages":[{"role":"user","content":"Say hi"}],"max_completion_tokens":100}`, 2, FormatChoices, "stop"},
	}
}

// nativeEmulator serves every family, models outside the default
// catalogue included.
func nativeEmulator(t *testing.T, opts ...bedrocktest.Option) (*bedrocktest.Server, *Client) {
	t.Helper()
	srv := bedrocktest.New(t, append([]bedrocktest.Option{bedrocktest.WithAnyModel()}, opts...)...)
	c, _ := emulatorClient(t, srv, Config{})
	return srv, c
}

// wantUsage checks usage against the canned answer's counts.
func wantUsage(t *testing.T, u *openai.Usage, input, output int) {
	t.Helper()
	if u == nil || u.PromptTokens != input || u.CompletionTokens != output || u.TotalTokens != input+output {
		t.Errorf("got usage %+v, want %d+%d", u, input, output)
	}
}

func TestInvokeFamilies(t *testing.T) {
	answer := bedrocktest.EchoAnswer(sayHi)
	output := len(bedrocktest.Pieces(answer))
	for _, tt := range nativeCases() {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := nativeEmulator(t)
			got, err := c.Invoke(context.Background(), &provider.NativeRequest{Model: tt.model, Body: []byte(tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != answer || got.Format != string(tt.format) || got.StopReason != tt.stop {
				t.Errorf("got text %q format %q stop %q, want %q %q %q", got.Text, got.Format, got.StopReason, answer, tt.format, tt.stop)
			}
			wantUsage(t, got.Usage, tt.input, output)
			reqs := srv.Requests()
			if len(reqs) != 1 || string(reqs[0].Body) != tt.body || reqs[0].Operation != bedrocktest.OpInvokeModel || reqs[0].ModelID != tt.model {
				t.Fatalf("got requests %+v, want one InvokeModel of %s with the body unchanged", reqs, tt.model)
			}
			if got.RequestID != reqs[0].RequestID || !strings.Contains(string(got.Raw), "emulator") {
				t.Errorf("got request ID %q raw %s, want %q and the native body", got.RequestID, got.Raw, reqs[0].RequestID)
			}
		})
	}
}

// readNative reads a native stream to its end.
func readNative(t *testing.T, s provider.NativeStream) (text string, final *provider.NativeChunk, err error) {
	t.Helper()
	defer s.Close()
	for {
		ch, err := s.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return text, final, err
		}
		if final != nil {
			t.Errorf("got chunk %+v after the Final one", ch)
		}
		if ch.Final {
			final = ch
		} else if ch.Text == "" {
			t.Error("got a chunk without text")
		}
		text += ch.Text
	}
}

func TestInvokeStreamFamilies(t *testing.T) {
	answer := bedrocktest.EchoAnswer(sayHi)
	output := len(bedrocktest.Pieces(answer))
	for _, tt := range nativeCases() {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := nativeEmulator(t)
			s, err := c.InvokeStream(context.Background(), &provider.NativeRequest{Model: tt.model, Body: []byte(tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			text, final, err := readNative(t, s)
			if err != nil {
				t.Fatal(err)
			}
			if text != answer || final == nil || final.StopReason != tt.stop {
				t.Fatalf("got text %q final %+v, want %q and stop %q", text, final, answer, tt.stop)
			}
			wantUsage(t, final.Usage, tt.input, output)
			reqs := srv.Requests()
			if len(reqs) != 1 || string(reqs[0].Body) != tt.body || reqs[0].Operation != bedrocktest.OpInvokeModelWithResponseStream {
				t.Fatalf("got requests %+v, want one InvokeModelWithResponseStream with the body unchanged", reqs)
			}
			if h := reqs[0].Header; h.Get("X-Amzn-Bedrock-Accept") != "application/json" || h.Get(headerGuardrailID) != "" {
				t.Errorf("got headers %v, want X-Amzn-Bedrock-Accept and no guardrail", h)
			}
		})
	}
}

func TestInvokeGuardrail(t *testing.T) {
	const arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"
	configured := &GuardrailConfig{GuardrailIdentifier: "gr1", GuardrailVersion: "3", Trace: "enabled", StreamProcessingMode: "async"}
	tests := []struct {
		name       string
		configured *GuardrailConfig
		req        provider.NativeRequest
		want       [3]string // identifier, version, trace headers
	}{
		{"none", nil, provider.NativeRequest{}, [3]string{}},
		{"trace without a guardrail", nil, provider.NativeRequest{GuardrailTrace: "enabled"}, [3]string{}},
		{"configured", configured, provider.NativeRequest{}, [3]string{"gr1", "3", "ENABLED"}},
		{"request trace", configured, provider.NativeRequest{GuardrailTrace: "ENABLED_FULL"}, [3]string{"gr1", "3", "ENABLED_FULL"}},
		{"request guardrail", configured, provider.NativeRequest{GuardrailID: arn, GuardrailVersion: "DRAFT"}, [3]string{arn, "DRAFT", "ENABLED"}},
		{"request only", nil, provider.NativeRequest{GuardrailID: "gr2", GuardrailVersion: "1", GuardrailTrace: "disabled"}, [3]string{"gr2", "1", "DISABLED"}},
	}
	anthropic := nativeCases()[0]
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				srv := bedrocktest.New(t)
				c, _ := emulatorClient(t, srv, Config{Guardrail: tt.configured})
				req := tt.req
				req.Model, req.Body = anthropic.model, []byte(anthropic.body)
				if stream {
					s, err := c.InvokeStream(context.Background(), &req)
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := readNative(t, s); err != nil {
						t.Fatal(err)
					}
				} else if _, err := c.Invoke(context.Background(), &req); err != nil {
					t.Fatal(err)
				}
				h := srv.Requests()[0].Header
				got := [3]string{h.Get(headerGuardrailID), h.Get(headerGuardrailVersion), h.Get(headerTrace)}
				if got != tt.want {
					t.Errorf("got guardrail headers %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestInvokeRefused(t *testing.T) {
	tests := []struct {
		name  string
		req   provider.NativeRequest
		param string
	}{
		{"array body", provider.NativeRequest{Body: []byte(`[{"prompt":"hi"}]`)}, "payload"},
		{"string body", provider.NativeRequest{Body: []byte(`"hi"`)}, "payload"},
		{"null body", provider.NativeRequest{Body: []byte(`null`)}, "payload"},
		{"empty body", provider.NativeRequest{}, "payload"},
		{"broken JSON", provider.NativeRequest{Body: []byte(`{"prompt":`)}, "payload"},
		{"two objects", provider.NativeRequest{Body: []byte(`{} {}`)}, "payload"},
		{"too large", provider.NativeRequest{Body: []byte(`{"prompt":"` + strings.Repeat("x", maxInvokeBody) + `"}`)}, "payload"},
		{"no model", provider.NativeRequest{Model: "-", Body: []byte(`{}`)}, "model"},
		{"version without guardrail", provider.NativeRequest{Body: []byte(`{}`), GuardrailVersion: "1"}, "guardrail.guardrailIdentifier"},
		{"guardrail without version", provider.NativeRequest{Body: []byte(`{}`), GuardrailID: "gr1"}, "guardrail.guardrailVersion"},
		{"bad guardrail", provider.NativeRequest{Body: []byte(`{}`), GuardrailID: "GR 1", GuardrailVersion: "1"}, "guardrail.guardrailIdentifier"},
		{"bad version", provider.NativeRequest{Body: []byte(`{}`), GuardrailID: "gr1", GuardrailVersion: "latest"}, "guardrail.guardrailVersion"},
		{"bad trace", provider.NativeRequest{Body: []byte(`{}`), GuardrailID: "gr1", GuardrailVersion: "1", GuardrailTrace: "on"}, "guardrail.trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := nativeEmulator(t)
			req := tt.req
			switch req.Model {
			case "":
				req.Model = "anthropic.claude-3-haiku-20240307-v1:0"
			case "-":
				req.Model = ""
			}
			_, err := c.Invoke(context.Background(), &req)
			wantClientError(t, err, tt.param)
			_, err = c.InvokeStream(context.Background(), &req)
			wantClientError(t, err, tt.param)
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("got %d requests at Bedrock, want none", n)
			}
		})
	}
}

func TestInvokeUpstreamErrors(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	noMaxTokens := []byte(`{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"hi"}]}`)
	srv, c := nativeEmulator(t)
	_, err := c.Invoke(context.Background(), &provider.NativeRequest{Model: haiku, Body: noMaxTokens})
	ue := checkStatus(t, err, http.StatusBadRequest)
	var api *APIError
	if !errors.As(err, &api) || api.Code != CodeValidation || !strings.Contains(ue.Err.Message, "required key [max_tokens] not found") {
		t.Errorf("got %v, want Bedrock's ValidationException", err)
	}
	_, err = c.InvokeStream(context.Background(), &provider.NativeRequest{Model: haiku, Body: noMaxTokens})
	_ = checkStatus(t, err, http.StatusBadRequest)
	if !errors.As(err, &api) || api.Code != CodeValidation {
		t.Errorf("stream: got %v, want Bedrock's ValidationException", err)
	}

	srv.Push(bedrocktest.Times(3, bedrocktest.Throttled())...)
	_, err = c.Invoke(context.Background(), &provider.NativeRequest{Model: haiku, Body: []byte(nativeCases()[0].body)})
	_ = checkStatus(t, err, http.StatusTooManyRequests)
	if n := len(srv.Requests()) - 2; n != DefaultMaxAttempts {
		t.Errorf("got %d attempts at the throttled call, want %d", n, DefaultMaxAttempts)
	}
}

// TestInvokeStreamException breaks a native stream and a Converse stream
// with the same exception: both end with the same error.
func TestInvokeStreamException(t *testing.T) {
	fault := bedrocktest.ExceptionAfter(3, bedrocktest.CodeModelStreamError, "the model broke")
	srv, c := nativeEmulator(t, bedrocktest.WithReplies(
		bedrocktest.Reply{Operation: bedrocktest.OpInvokeModelWithResponseStream, Fault: fault},
		bedrocktest.Reply{Operation: bedrocktest.OpConverseStream, Fault: fault},
	))
	anthropic := nativeCases()[0]
	s, err := c.InvokeStream(context.Background(), &provider.NativeRequest{Model: anthropic.model, Body: []byte(anthropic.body)})
	if err != nil {
		t.Fatal(err)
	}
	text, final, nativeErr := readNative(t, s)
	if text != "Hello " || final != nil {
		t.Errorf("got text %q final %+v before the exception, want the first piece and no Final chunk", text, final)
	}
	cs, err := c.ChatCompletionStream(context.Background(), chatRequest(anthropic.model, sayHi))
	if err != nil {
		t.Fatal(err)
	}
	chatErr := collect(t, cs).Err
	for _, err := range []error{nativeErr, chatErr} {
		ue := checkStatus(t, err, http.StatusBadGateway)
		var api *APIError
		if !errors.As(err, &api) || api.Code != CodeModelStreamError || ue.Err.Message != "the model broke" {
			t.Errorf("got %v, want the ModelStreamErrorException", err)
		}
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("got %d requests, want 2 (no retry after the first event)", len(srv.Requests()))
	}
}

// TestInvokeStreamIncomplete ends a stream cleanly before Bedrock's
// invocation metrics: a 502 after the text, not a Final chunk.
func TestInvokeStreamIncomplete(t *testing.T) {
	_, c := nativeEmulator(t, bedrocktest.WithReplies(bedrocktest.Reply{Events: []bedrocktest.Event{
		bedrocktest.Chunk(`{"generation":"Hi","prompt_token_count":3,"generation_token_count":1,"stop_reason":null}`),
	}}))
	s, err := c.InvokeStream(context.Background(), &provider.NativeRequest{Model: "meta.llama3-8b-instruct-v1:0", Body: []byte(`{"prompt":"hi"}`)})
	if err != nil {
		t.Fatal(err)
	}
	text, final, err := readNative(t, s)
	_ = checkStatus(t, err, http.StatusBadGateway)
	if text != "Hi" || final != nil {
		t.Errorf("got text %q final %+v, want \"Hi\" and no Final chunk", text, final)
	}
}

// TestInvokeStreamFirstEventRetry answers 200 and then throttles in place
// of the first event: the stream is opened again, as for Converse.
func TestInvokeStreamFirstEventRetry(t *testing.T) {
	throttled := bedrocktest.Reply{Events: []bedrocktest.Event{bedrocktest.Exception(bedrocktest.CodeThrottling, bedrocktest.MsgThrottling)}}
	srv, c := nativeEmulator(t, bedrocktest.WithReplies(throttled))
	ctx, rec := recordingContext()
	llama := nativeCases()[1]
	s, err := c.InvokeStream(ctx, &provider.NativeRequest{Model: llama.model, Body: []byte(llama.body)})
	if err != nil {
		t.Fatal(err)
	}
	if text, _, err := readNative(t, s); err != nil || text != bedrocktest.EchoAnswer(sayHi) {
		t.Errorf("got %q, %v, want the canned answer", text, err)
	}
	if len(srv.Requests()) != 2 || len(rec.list()) != 1 {
		t.Errorf("got %d requests and retries %v, want 2 and one", len(srv.Requests()), rec.list())
	}
}

// TestInvokeProfileRetry calls a model served only through an inference
// profile by its bare ID: Bedrock's refusal is retried on the profile.
func TestInvokeProfileRetry(t *testing.T) {
	const sonnet = "anthropic.claude-3-7-sonnet-20250219-v1:0"
	srv, c := nativeEmulator(t)
	got, err := c.Invoke(context.Background(), &provider.NativeRequest{Model: sonnet, Body: []byte(nativeCases()[0].body)})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if got.Text != bedrocktest.EchoAnswer(sayHi) || len(reqs) != 2 || reqs[1].ModelID != "us."+sonnet {
		t.Errorf("got %q after %d requests (last to %s), want the answer from us.%s", got.Text, len(reqs), reqs[len(reqs)-1].ModelID, sonnet)
	}
}

// TestInvokeUnknownFormat answers in no known shape: the body is still
// returned, with the usage of Bedrock's headers.
func TestInvokeUnknownFormat(t *testing.T) {
	raw := `{"result":{"answer":"Hi"}}`
	_, c := nativeEmulator(t, bedrocktest.WithReplies(bedrocktest.Reply{
		Body:   []byte(raw),
		Header: http.Header{headerInputTokens: {"3"}, headerOutputTokens: {"5"}},
	}))
	got, err := c.Invoke(context.Background(), &provider.NativeRequest{Model: "writer.palmyra-x5-v1:0", Body: []byte(`{"messages":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "" || got.Format != "" || string(got.Raw) != raw || got.RequestID == "" {
		t.Errorf("got %+v, want no text or format, the raw body and the request ID", got)
	}
	wantUsage(t, got.Usage, 3, 5)
}

// TestInvokeBadAnswer answers 200 with a body that is not JSON: a 502.
func TestInvokeBadAnswer(t *testing.T) {
	_, c := nativeEmulator(t, bedrocktest.WithReplies(bedrocktest.Reply{Body: []byte(`Internal error`)}))
	_, err := c.Invoke(context.Background(), &provider.NativeRequest{Model: "amazon.nova-micro-v1:0", Body: []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)})
	_ = checkStatus(t, err, http.StatusBadGateway)
}

// TestInvokeApplicationProfile reads the answer of an application
// inference profile ARN by the family of the model behind it.
func TestInvokeApplicationProfile(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	arn := bedrocktest.ApplicationProfileARN(srv.Region(), bedrocktest.AppProfileHaiku)
	c, _ := emulatorClient(t, srv, Config{BaseModel: func(id string) (string, bool) {
		return "anthropic.claude-3-haiku-20240307-v1:0", id == arn
	}})
	got, err := c.Invoke(context.Background(), &provider.NativeRequest{Model: arn, Body: []byte(nativeCases()[0].body)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != string(FormatAnthropic) || got.Text != bedrocktest.EchoAnswer(sayHi) {
		t.Errorf("got format %q text %q, want the Anthropic answer", got.Format, got.Text)
	}
}
