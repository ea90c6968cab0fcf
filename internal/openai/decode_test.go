package openai

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// endpoints decodes a body the way each endpoint does, returning only the
// error and Raw.
var endpoints = []struct {
	name   string
	decode func([]byte) ([]byte, error)
	valid  string // a minimal valid body
}{
	{"chat", func(b []byte) ([]byte, error) {
		r, err := DecodeChatCompletionRequest(b)
		if err != nil {
			return nil, err
		}
		return r.Raw, nil
	}, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`},
	{"completion", func(b []byte) ([]byte, error) {
		r, err := DecodeCompletionRequest(b)
		if err != nil {
			return nil, err
		}
		return r.Raw, nil
	}, `{"model":"m","prompt":"hi"}`},
	{"embedding", func(b []byte) ([]byte, error) {
		r, err := DecodeEmbeddingRequest(b)
		if err != nil {
			return nil, err
		}
		return r.Raw, nil
	}, `{"model":"m","input":"hi"}`},
}

// TestDecodeMalformed covers the failures that do not depend on the endpoint.
func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name    string
		body    func(valid string) string
		wantMsg string
	}{
		{"empty", func(string) string { return "" }, "empty"},
		{"blank", func(string) string { return " \r\n\t" }, "empty"},
		{"invalid UTF-8", func(string) string { return `{"model":"m` + "\xff\xfe" + `"}` }, "UTF-8"},
		{"array", func(string) string { return `[{"model":"m"}]` }, "expected a JSON object, got array"},
		{"string", func(string) string { return `"model"` }, "expected a JSON object, got string"},
		{"null", func(string) string { return `null` }, "expected a JSON object, got null"},
		{"number", func(string) string { return ` 42` }, "expected a JSON object"},
		{"truncated", func(v string) string { return v[:len(v)-2] }, "unexpected end of JSON input"},
		{"trailing garbage", func(v string) string { return v + " x" }, "after top-level value"},
		{"two objects", func(v string) string { return v + v }, "after top-level value"},
		{"bad escape", func(string) string { return `{"model":"\q"}` }, "invalid character"},
	}
	for _, ep := range endpoints {
		for _, tt := range tests {
			t.Run(ep.name+"/"+tt.name, func(t *testing.T) {
				raw, err := ep.decode([]byte(tt.body(ep.valid)))
				if err == nil {
					t.Fatalf("got no error (Raw %q), want a 400", raw)
				}
				e := asAPIError(t, err)
				if e.Status != http.StatusBadRequest || e.Type != TypeInvalidRequest {
					t.Errorf("got %d %s, want 400 %s", e.Status, e.Type, TypeInvalidRequest)
				}
				if e.Param != "" {
					t.Errorf("got param %q, want none", e.Param)
				}
				if !strings.Contains(e.Message, tt.wantMsg) {
					t.Errorf("got message %q, want it to contain %q", e.Message, tt.wantMsg)
				}
			})
		}
	}
}

func TestDecodeTypeErrors(t *testing.T) {
	tests := []struct {
		name      string
		decode    func([]byte) ([]byte, error)
		body      string
		wantParam string
		wantMsg   string
	}{
		{"chat model", endpoints[0].decode, `{"model":1,"messages":[]}`, "model", "expected a string, but got number"},
		{"chat messages object", endpoints[0].decode, `{"model":"m","messages":{}}`, "messages", "expected an array, but got object"},
		{"chat content number", endpoints[0].decode, `{"model":"m","messages":[{"role":"user","content":5}]}`, "messages.content", "a string, an array of content parts or null"},
		{"chat part text", endpoints[0].decode, `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":true}]}]}`, "messages.content.text", "expected a string, but got bool"},
		{"chat image url", endpoints[0].decode, `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":5}}]}]}`, "messages.content.image_url.url", "expected a string"},
		{"chat tool call arguments", endpoints[0].decode, `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{}}}]}]}`, "messages.tool_calls.function.arguments", "expected a string, but got object"},
		{"chat max_tokens float", endpoints[0].decode, `{"model":"m","messages":[],"max_tokens":1.5}`, "max_tokens", "expected an integer, but got number 1.5"},
		{"chat temperature string", endpoints[0].decode, `{"model":"m","messages":[],"temperature":"hot"}`, "temperature", "expected a number, but got string"},
		{"chat stream string", endpoints[0].decode, `{"model":"m","messages":[],"stream":"true"}`, "stream", "expected a boolean"},
		{"chat stream_options", endpoints[0].decode, `{"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":"yes"}}`, "stream_options.include_usage", "expected a boolean"},
		{"chat stop", endpoints[0].decode, `{"model":"m","messages":[],"stop":5}`, "stop", "a string or an array of strings"},
		{"chat tool_choice", endpoints[0].decode, `{"model":"m","messages":[],"tool_choice":5}`, "tool_choice", "a string or an object"},
		{"chat tool_choice name", endpoints[0].decode, `{"model":"m","messages":[],"tool_choice":{"type":"function","function":{"name":5}}}`, "tool_choice.function.name", "expected a string"},
		{"chat tools name", endpoints[0].decode, `{"model":"m","messages":[],"tools":[{"type":"function","function":{"name":1}}]}`, "tools.function.name", "expected a string"},
		{"chat metadata", endpoints[0].decode, `{"model":"m","messages":[],"metadata":{"a":1}}`, "metadata", "expected a string"},
		{"completion prompt", endpoints[1].decode, `{"model":"m","prompt":[1,"a"]}`, "prompt", "a string, an array of strings, or an array of tokens"},
		{"completion prompt object", endpoints[1].decode, `{"model":"m","prompt":{}}`, "prompt", "but got object"},
		{"completion echo", endpoints[1].decode, `{"model":"m","prompt":"p","echo":1}`, "echo", "expected a boolean"},
		{"embedding input", endpoints[2].decode, `{"model":"m","input":[1,"a"]}`, "input", "a string, an array of strings, or an array of tokens"},
		{"embedding input bool", endpoints[2].decode, `{"model":"m","input":false}`, "input", "but got bool"},
		{"embedding dimensions", endpoints[2].decode, `{"model":"m","input":"x","dimensions":"256"}`, "dimensions", "expected an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.decode([]byte(tt.body))
			e := asAPIError(t, err)
			if e.Status != http.StatusBadRequest {
				t.Errorf("got status %d, want 400", e.Status)
			}
			if e.Param != tt.wantParam {
				t.Errorf("got param %q, want %q (message %q)", e.Param, tt.wantParam, e.Message)
			}
			if !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("got message %q, want it to contain %q", e.Message, tt.wantMsg)
			}
		})
	}
}

func TestDecodeDuplicateKeys(t *testing.T) {
	// manyKeys has 40 distinct unknown keys, past the small-object fast path.
	var many strings.Builder
	for i := range 40 {
		fmt.Fprintf(&many, `"x%d":%d,`, i, i)
	}
	manyKeys := many.String()
	tests := []struct {
		name      string
		body      func(valid string) string
		wantParam string // empty: no error
	}{
		{"model twice", func(v string) string { return `{"model":"other",` + v[1:] }, "model"},
		{"model three times", func(v string) string { return `{"model":"a","model":"b",` + v[1:] }, "model"},
		{"unknown key twice", func(v string) string { return `{"foo":1,"foo":2,` + v[1:] }, "foo"},
		{"nested keys may repeat", func(v string) string { return `{"o":{"a":1},"p":{"a":2},` + v[1:] }, ""},
		{"many keys", func(v string) string { return `{` + manyKeys + v[1:] }, ""},
		{"many keys then model", func(v string) string { return `{` + manyKeys + `"model":"z",` + v[1:] }, "model"},
		{"many keys then x39", func(v string) string { return `{` + manyKeys + `"x39":0,` + v[1:] }, "x39"},
		{"model escaped", func(v string) string { return `{"mod\u0065l":"other",` + v[1:] }, "model"},
		{"escaped key twice", func(v string) string { return `{"a\nb":1,"a\u000ab":2,` + v[1:] }, "a\nb"},
		{"many keys then model escaped", func(v string) string { return `{` + manyKeys + `"\u006dodel":"z",` + v[1:] }, "model"},
		{"escapes that differ", func(v string) string { return `{"a\nb":1,"a\tb":2,` + v[1:] }, ""},
	}
	for _, ep := range endpoints {
		for _, tt := range tests {
			t.Run(ep.name+"/"+tt.name, func(t *testing.T) {
				body := []byte(tt.body(ep.valid))
				_, err := ep.decode(body)
				if tt.wantParam == "" {
					if err != nil {
						t.Fatalf("got %v, want no error for %s", err, body)
					}
					return
				}
				e := asAPIError(t, err)
				if e.Status != http.StatusBadRequest || e.Param != tt.wantParam {
					t.Errorf("got %d param %q, want 400 param %q", e.Status, e.Param, tt.wantParam)
				}
				if !strings.Contains(e.Message, "Duplicate key '"+tt.wantParam+"'") {
					t.Errorf("got message %q, want it to name the key", e.Message)
				}
			})
		}
	}
}

func TestDecodeValidKeepsRaw(t *testing.T) {
	bodies := map[string]string{
		"chat": `{
  "model": "gpt-5-nano",
  "messages": [
    {"role": "developer", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "42"}
  ],
  "stream": true,
  "stream_options": {"include_usage": true},
  "max_completion_tokens": 100,
  "temperature": 1,
  "stop": "END",
  "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
  "tool_choice": {"type": "function", "function": {"name": "f"}},
  "response_format": {"type": "json_object"},
  "some_future_field": {"kept": true}
}`,
		"completion": `{"model":"babbage-002","prompt":["a","b"],"max_tokens":0,"echo":true,"logprobs":1,"stream":true,"stream_options":{"include_usage":true},"unknown":[1]}`,
		"embedding":  `{"model":"text-embedding-3-small","input":[[1,2],[3]],"encoding_format":"base64","dimensions":256,"unknown":null}`,
	}
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			body := []byte(bodies[ep.name])
			raw, err := ep.decode(body)
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if !bytes.Equal(raw, body) {
				t.Errorf("got Raw %q, want the body %q", raw, body)
			}
		})
	}
}

func TestDecodeChatFields(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":7,"n":2,"seed":-3,"stop":["a","b"],"tool_choice":"none","parallel_tool_calls":false,"reasoning_effort":"low","metadata":{"k":"v"}}`
	req, err := DecodeChatCompletionRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case req.Model != "m", !req.Stream, !req.IncludeUsage():
		t.Errorf("got model %q stream %v include_usage %v, want m true true", req.Model, req.Stream, req.IncludeUsage())
	case req.MaxTokens == nil || *req.MaxTokens != 7, req.N == nil || *req.N != 2, req.Seed == nil || *req.Seed != -3:
		t.Errorf("got max_tokens %v n %v seed %v, want 7 2 -3", req.MaxTokens, req.N, req.Seed)
	case req.Stop == nil || len(req.Stop.Values) != 2, req.ToolChoice == nil || req.ToolChoice.Mode != "none":
		t.Errorf("got stop %v tool_choice %v", req.Stop, req.ToolChoice)
	case req.ParallelToolCalls == nil || *req.ParallelToolCalls, req.ReasoningEffort != "low", req.Metadata["k"] != "v":
		t.Errorf("got parallel_tool_calls %v reasoning_effort %q metadata %v", req.ParallelToolCalls, req.ReasoningEffort, req.Metadata)
	case req.Messages[0].Content.String() != "hi":
		t.Errorf("got content %q, want hi", req.Messages[0].Content.String())
	}
}

// cassette is the part of a go-vcr v2 cassette the tests read.
type cassette struct {
	Interactions []struct {
		Request struct {
			Body string `yaml:"body"`
			URL  string `yaml:"url"`
		} `yaml:"request"`
		Response struct {
			Body string `yaml:"body"`
			Code int    `yaml:"code"`
		} `yaml:"response"`
	} `yaml:"interactions"`
}

const cassetteDir = "../../../shared/fixtures/openai-cassettes"

// loadCassette reads one cassette from the shared fixtures.
func loadCassette(t testing.TB, path string) cassette {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c cassette
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(c.Interactions) == 0 {
		t.Fatalf("%s: no interactions", path)
	}
	return c
}

// cassettePaths lists the recorded cassettes, skipping the test when the
// shared fixtures are not beside the repository.
func cassettePaths(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(cassetteDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skipf("no cassettes in %s", cassetteDir)
	}
	return paths
}

// decoderFor picks the decoder for a recorded request URL.
func decoderFor(url string) func([]byte) ([]byte, error) {
	switch {
	case strings.HasSuffix(url, "/chat/completions"):
		return endpoints[0].decode
	case strings.HasSuffix(url, "/completions"):
		return endpoints[1].decode
	case strings.HasSuffix(url, "/embeddings"):
		return endpoints[2].decode
	}
	return nil
}

// TestDecodeCassetteRequests decodes every recorded request body. Requests
// the upstream served (200) or answered with an unknown model (404) are
// valid; requests it refused as invalid (400) must be refused here too.
func TestDecodeCassetteRequests(t *testing.T) {
	decoded := 0
	for _, path := range cassettePaths(t) {
		c := loadCassette(t, path)
		for i, it := range c.Interactions {
			decode := decoderFor(it.Request.URL)
			if decode == nil {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d", filepath.Base(path), i), func(t *testing.T) {
				decoded++
				raw, err := decode([]byte(it.Request.Body))
				switch it.Response.Code {
				case http.StatusOK, http.StatusNotFound:
					if err != nil {
						t.Fatalf("got %v, want no error for %s", err, it.Request.Body)
					}
					if string(raw) != it.Request.Body {
						t.Errorf("Raw is not the body")
					}
				case http.StatusBadRequest:
					e := asAPIError(t, err)
					if e.Status != http.StatusBadRequest {
						t.Errorf("got status %d, want 400", e.Status)
					}
				default:
					t.Fatalf("unexpected recorded status %d", it.Response.Code)
				}
			})
		}
	}
	if decoded < 20 {
		t.Errorf("decoded %d recorded requests, want at least 20", decoded)
	}
}

// FuzzDecodeChatCompletionRequest checks that decoding never panics, that
// what it accepts is valid and keeps the body, and that what it refuses is a
// 400.
func FuzzDecodeChatCompletionRequest(f *testing.F) {
	for _, s := range []string{
		endpoints[0].valid,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stop":["x"],"tool_choice":"auto"}`,
		`{"model":"m","model":"m","messages":[]}`,
		`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"1","function":{"arguments":""}}]}]}`,
		"",
		"{",
		`{"model":"m","messages":[{"role":"user","content":5}]}`,
	} {
		f.Add([]byte(s))
	}
	if paths, _ := filepath.Glob(filepath.Join(cassetteDir, "chat-*.yaml")); len(paths) > 0 {
		for _, p := range paths {
			for _, it := range loadCassette(f, p).Interactions {
				f.Add([]byte(it.Request.Body))
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in := bytes.Clone(body)
		req, err := DecodeChatCompletionRequest(body)
		if err != nil {
			e := asAPIError(t, err)
			if e.Status != http.StatusBadRequest || e.Message == "" {
				t.Fatalf("got %d %q, want a 400 with a message", e.Status, e.Message)
			}
			return
		}
		if !bytes.Equal(req.Raw, in) {
			t.Fatalf("got Raw %q, want the input %q", req.Raw, in)
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("decoded request does not validate: %v", err)
		}
	})
}
