package openaitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

// strict decodes b into v, rejecting fields the hub types do not know: the
// emulator must speak exactly the shapes the gateway parses.
func strict(t *testing.T, b []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, b)
	}
}

func TestCannedChat(t *testing.T) {
	s := New(t)
	resp, body := call(t, "POST", s.OpenAIBase()+"/chat/completions", nil,
		`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello to me"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}
	var got openai.ChatCompletionResponse
	strict(t, body, &got)
	text := DefaultAnswer
	stop := len(pieces(DefaultAnswer))
	want := openai.ChatCompletionResponse{
		ID: "chatcmpl-emu00000001", Object: "chat.completion", Created: Created, Model: "gpt-4o-mini", ServiceTier: "default",
		Choices: []openai.Choice{{Message: openai.ResponseMessage{Role: "assistant", Content: &text, Annotations: []any{}}, FinishReason: "stop", Logprobs: json.RawMessage("null")}},
		Usage: &openai.Usage{
			PromptTokens: 4, CompletionTokens: stop, TotalTokens: 4 + stop,
			PromptTokensDetails: &openai.PromptTokensDetails{}, CompletionTokensDetails: &openai.CompletionTokensDetails{},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestCannedChatStream(t *testing.T) {
	tests := []struct {
		name  string
		usage bool
	}{
		{"without usage", false},
		{"with usage", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			opts := ""
			if tt.usage {
				opts = `,"stream_options":{"include_usage":true}`
			}
			resp, body := call(t, "POST", s.OpenAIBase()+"/chat/completions", nil,
				`{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]`+opts+`}`)
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
				t.Errorf("Content-Type %q, want text/event-stream; charset=utf-8", ct)
			}
			events := dataEvents(t, body)
			if n := len(events); n < 3 || events[n-1] != "[DONE]" {
				t.Fatalf("events %q: want at least 3 ending with [DONE]", events)
			}
			events = events[:len(events)-1]
			var text strings.Builder
			for i, ev := range events {
				var c openai.ChatCompletionChunk
				strict(t, []byte(ev), &c)
				if c.Object != "chat.completion.chunk" || c.Model != "m" || c.ID != "chatcmpl-emu00000001" {
					t.Errorf("chunk %d: object %q model %q id %q", i, c.Object, c.Model, c.ID)
				}
				if hasNull := strings.Contains(ev, `"usage":null`); hasNull != (tt.usage && i < len(events)-1) {
					t.Errorf("chunk %d: has \"usage\":null = %v, want %v: %s", i, hasNull, !hasNull, ev)
				}
				for _, ch := range c.Choices {
					if ch.Delta.Content != nil {
						text.WriteString(*ch.Delta.Content)
					}
				}
			}
			first := events[0]
			if !strings.Contains(first, `"delta":{"role":"assistant","content":"","refusal":null}`) {
				t.Errorf("first chunk %s: want role, empty content and null refusal", first)
			}
			if got := text.String(); got != DefaultAnswer {
				t.Errorf("streamed text %q, want %q", got, DefaultAnswer)
			}
			last := events[len(events)-1]
			var c openai.ChatCompletionChunk
			strict(t, []byte(last), &c)
			if tt.usage {
				if c.Usage == nil || len(c.Choices) != 0 || !strings.Contains(last, `"choices":[]`) {
					t.Errorf("last chunk %s: want the usage chunk with choices []", last)
				}
			} else if len(c.Choices) != 1 || c.Choices[0].FinishReason == nil || *c.Choices[0].FinishReason != "stop" {
				t.Errorf("last chunk %s: want the finish chunk", last)
			}
		})
	}
}

func TestCannedToolCall(t *testing.T) {
	s := New(t)
	req := `{"model":"m","messages":[{"role":"user","content":"weather?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"tool_choice":"required"`
	_, body := call(t, "POST", s.OpenAIBase()+"/chat/completions", nil, req+`}`)
	var resp openai.ChatCompletionResponse
	strict(t, body, &resp)
	msg := resp.Choices[0].Message
	if resp.Choices[0].FinishReason != "tool_calls" || msg.Content != nil || len(msg.ToolCalls) != 1 ||
		msg.ToolCalls[0].Function.Name != "get_weather" || !json.Valid([]byte(msg.ToolCalls[0].Function.Arguments)) {
		t.Errorf("got %s, want one get_weather call with JSON arguments", body)
	}

	_, body = call(t, "POST", s.OpenAIBase()+"/chat/completions", nil, req+`,"stream":true}`)
	var args strings.Builder
	for _, ev := range dataEvents(t, body) {
		if ev == "[DONE]" {
			continue
		}
		var c openai.ChatCompletionChunk
		strict(t, []byte(ev), &c)
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if tc.Index == nil || *tc.Index != 0 {
				t.Errorf("tool call delta %s: want index 0", ev)
			}
			args.WriteString(tc.Function.Arguments)
		}
	}
	if got := args.String(); got != msg.ToolCalls[0].Function.Arguments {
		t.Errorf("streamed arguments %q, want %q", got, msg.ToolCalls[0].Function.Arguments)
	}
}

func TestCannedCompletion(t *testing.T) {
	s := New(t)
	_, body := call(t, "POST", s.OpenAIBase()+"/completions", nil, `{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":3}`)
	var resp openai.CompletionResponse
	strict(t, body, &resp)
	if resp.Object != "text_completion" || len(resp.Choices) != 1 || resp.Choices[0].Text != "Hello! I am" ||
		*resp.Choices[0].FinishReason != "length" || resp.Usage.CompletionTokens != 3 || resp.Usage.PromptTokens != 5 {
		t.Errorf("got %s, want 3 tokens cut by length", body)
	}

	_, body = call(t, "POST", s.OpenAIBase()+"/completions", nil,
		`{"model":"m","prompt":["a b"],"stream":true,"stream_options":{"include_usage":true}}`)
	events := dataEvents(t, body)
	if events[len(events)-1] != "[DONE]" {
		t.Fatalf("last event %q, want [DONE]", events[len(events)-1])
	}
	var text strings.Builder
	for _, ev := range events[:len(events)-2] {
		var c openai.CompletionResponse
		strict(t, []byte(ev), &c)
		if !strings.Contains(ev, `"usage":null`) {
			t.Errorf("chunk %s: want \"usage\":null", ev)
		}
		text.WriteString(c.Choices[0].Text)
	}
	if text.String() != DefaultAnswer {
		t.Errorf("streamed %q, want %q", text.String(), DefaultAnswer)
	}
	var u openai.CompletionResponse
	strict(t, []byte(events[len(events)-2]), &u)
	if u.Usage == nil || u.Usage.PromptTokens != 2 || len(u.Choices) != 0 {
		t.Errorf("usage chunk %s: want prompt_tokens 2 and no choices", events[len(events)-2])
	}
}

// embeddingList mirrors the embeddings response; openai.Embedding only
// marshals.
type embeddingsWire struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string        `json:"model"`
	Usage *openai.Usage `json:"usage"`
}

func TestCannedEmbeddings(t *testing.T) {
	s := New(t)
	tests := []struct {
		name, body string
		dims, n    int
		base64     bool
	}{
		{"float default dims", `{"model":"text-embedding-3-small","input":"hello world"}`, 1536, 1, false},
		{"float dimensions", `{"model":"text-embedding-3-large","input":["a","b c"],"dimensions":8}`, 8, 2, false},
		{"base64", `{"model":"text-embedding-3-small","input":"hello world","encoding_format":"base64","dimensions":4}`, 4, 1, true},
		{"tokens", `{"model":"text-embedding-3-small","input":[[1,2],[3]],"dimensions":2}`, 2, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, "POST", s.OpenAIBase()+"/embeddings", nil, tt.body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var got embeddingsWire
			strict(t, body, &got)
			if got.Object != "list" || len(got.Data) != tt.n || got.Usage == nil || got.Usage.TotalTokens == 0 {
				t.Fatalf("got %s: want a list of %d with usage", body, tt.n)
			}
			for i, d := range got.Data {
				var vec []float32
				if tt.base64 {
					var s string
					if err := json.Unmarshal(d.Embedding, &s); err != nil {
						t.Fatalf("embedding %d: %v", i, err)
					}
					var err error
					if vec, err = openai.DecodeBase64Vector(s); err != nil {
						t.Fatalf("embedding %d: %v", i, err)
					}
				} else if err := json.Unmarshal(d.Embedding, &vec); err != nil {
					t.Fatalf("embedding %d: %v", i, err)
				}
				if len(vec) != tt.dims || d.Index != i || d.Object != "embedding" {
					t.Errorf("embedding %d: %d dims index %d object %q, want %d dims", i, len(vec), d.Index, d.Object, tt.dims)
				}
			}
		})
	}
	t.Run("base64 is the float vector", func(t *testing.T) {
		_, f := call(t, "POST", s.OpenAIBase()+"/embeddings", nil, `{"model":"m","input":"x","dimensions":3}`)
		_, b := call(t, "POST", s.OpenAIBase()+"/embeddings", nil, `{"model":"m","input":"x","dimensions":3,"encoding_format":"base64"}`)
		var fw, bw embeddingsWire
		strict(t, f, &fw)
		strict(t, b, &bw)
		var fv []float32
		var bs string
		_ = json.Unmarshal(fw.Data[0].Embedding, &fv)
		_ = json.Unmarshal(bw.Data[0].Embedding, &bs)
		bv, err := openai.DecodeBase64Vector(bs)
		if err != nil || !cmp.Equal(fv, bv) {
			t.Errorf("base64 %v (err %v), want %v", bv, err, fv)
		}
	})
}

func TestCannedModels(t *testing.T) {
	s := New(t, WithModels("a", "b"))
	_, body := call(t, "GET", s.OpenAIBase()+"/models", nil, "")
	var list openai.ModelList
	strict(t, body, &list)
	want := openai.ModelList{Object: "list", Data: []openai.Model{
		{ID: "a", Object: "model", Created: Created, OwnedBy: "openai"},
		{ID: "b", Object: "model", Created: Created, OwnedBy: "openai"},
	}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	resp, body := call(t, "GET", s.OpenAIBase()+"/models/b", nil, "")
	var m openai.Model
	strict(t, body, &m)
	if resp.StatusCode != http.StatusOK || m.ID != "b" {
		t.Errorf("GET /models/b: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, "POST", s.OpenAIBase()+"/chat/completions", nil, `{"model":"c","messages":[{"role":"user","content":"x"}]}`)
	var env openai.Envelope
	strict(t, body, &env)
	if resp.StatusCode != http.StatusNotFound || env.Error.Code == nil || *env.Error.Code != "model_not_found" {
		t.Errorf("unknown model: %d %s, want 404 model_not_found", resp.StatusCode, body)
	}
}

func TestCannedErrors(t *testing.T) {
	s := New(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		param                    string
	}{
		{"invalid JSON", "POST", "/v1/chat/completions", `{"model":`, 400, ""},
		{"no model", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, 400, "model"},
		{"empty messages", "POST", "/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "messages"},
		{"stream_options without stream", "POST", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, 400, "stream_options"},
		{"bad dimensions", "POST", "/v1/embeddings", `{"model":"m","input":"x","dimensions":-1}`, 400, ""},
		{"bad encoding", "POST", "/v1/embeddings", `{"model":"m","input":"x","encoding_format":"hex"}`, 400, ""},
		{"unknown path", "POST", "/v1/nothing", `{}`, 404, ""},
		{"wrong method", "GET", "/v1/chat/completions", ``, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, tt.method, s.URL()+tt.path, nil, tt.body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			var env openai.Envelope
			strict(t, body, &env)
			param := ""
			if env.Error.Param != nil {
				param = *env.Error.Param
			}
			if env.Error.Message == "" || env.Error.Type == nil || param != tt.param {
				t.Errorf("error %s: want a message, a type and param %q", body, tt.param)
			}
			for _, k := range []string{`"message"`, `"type"`, `"param"`, `"code"`} {
				if !strings.Contains(string(body), k) {
					t.Errorf("error %s: missing %s", body, k)
				}
			}
		})
	}
}
