package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// chatWith is a valid chat body with extra top-level members appended.
func chatWith(extra string) string {
	return `{"model":"m","messages":[{"role":"user","content":"hi"}]` + extra + `}`
}

// chatMessages is a chat body with the given messages array contents.
func chatMessages(msgs string) string {
	return `{"model":"m","messages":[` + msgs + `]}`
}

// checkValidate unmarshals body into req, runs validate and checks the
// result: no error when wantParam is "-", else a 400 naming wantParam.
func checkValidate(t *testing.T, body string, req interface{ Validate() error }, wantParam string) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), req); err != nil {
		t.Fatalf("Unmarshal %s: %v", body, err)
	}
	err := req.Validate()
	if wantParam == "-" {
		if err != nil {
			t.Fatalf("got %v, want no error for %s", err, body)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want a 400 naming %q for %s", wantParam, body)
	}
	e := asAPIError(t, err)
	if e.Status != http.StatusBadRequest || e.Type != TypeInvalidRequest {
		t.Errorf("got %d %s, want 400 %s", e.Status, e.Type, TypeInvalidRequest)
	}
	if e.Param != wantParam {
		t.Errorf("got param %q, want %q (message %q)", e.Param, wantParam, e.Message)
	}
	if e.Message == "" {
		t.Error("got an empty message")
	}
}

func TestChatValidateLimits(t *testing.T) {
	tests := []struct {
		name, body, wantParam string
	}{
		{"minimal", chatWith(""), "-"},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, "model"},
		{"no messages", `{"model":"m"}`, "messages"},
		{"empty messages", `{"model":"m","messages":[]}`, "messages"},

		{"temperature 0", chatWith(`,"temperature":0`), "-"},
		{"temperature 2", chatWith(`,"temperature":2`), "-"},
		{"temperature below", chatWith(`,"temperature":-0.5`), "temperature"},
		{"temperature above", chatWith(`,"temperature":2.01`), "temperature"},
		{"top_p 0", chatWith(`,"top_p":0`), "-"},
		{"top_p 1", chatWith(`,"top_p":1`), "-"},
		{"top_p below", chatWith(`,"top_p":-0.1`), "top_p"},
		{"top_p above", chatWith(`,"top_p":1.5`), "top_p"},
		{"presence_penalty bounds", chatWith(`,"presence_penalty":-2,"frequency_penalty":2`), "-"},
		{"presence_penalty below", chatWith(`,"presence_penalty":-2.5`), "presence_penalty"},
		{"presence_penalty above", chatWith(`,"presence_penalty":3`), "presence_penalty"},
		{"frequency_penalty below", chatWith(`,"frequency_penalty":-3`), "frequency_penalty"},
		{"frequency_penalty above", chatWith(`,"frequency_penalty":2.5`), "frequency_penalty"},

		{"max_tokens 1", chatWith(`,"max_tokens":1`), "-"},
		{"max_tokens cap", chatWith(fmt.Sprintf(`,"max_tokens":%d`, MaxTokensCap)), "-"},
		{"max_tokens 0", chatWith(`,"max_tokens":0`), "max_tokens"},
		{"max_tokens negative", chatWith(`,"max_tokens":-1`), "max_tokens"},
		{"max_tokens over cap", chatWith(fmt.Sprintf(`,"max_tokens":%d`, MaxTokensCap+1)), "max_tokens"},
		{"max_completion_tokens 0", chatWith(`,"max_completion_tokens":0`), "max_completion_tokens"},
		{"max_completion_tokens over cap", chatWith(fmt.Sprintf(`,"max_completion_tokens":%d`, MaxTokensCap+1)), "max_completion_tokens"},

		{"n 1", chatWith(`,"n":1`), "-"},
		{"n 128", chatWith(`,"n":128`), "-"},
		{"n 0", chatWith(`,"n":0`), "n"},
		{"n 129", chatWith(`,"n":129`), "n"},
		{"stop 4", chatWith(`,"stop":["a","b","c","d"]`), "-"},
		{"stop 5", chatWith(`,"stop":["a","b","c","d","e"]`), "stop"},
		{"stop string", chatWith(`,"stop":"a"`), "-"},

		{"stream_options with stream", chatWith(`,"stream":true,"stream_options":{"include_usage":true}`), "-"},
		{"stream_options without stream", chatWith(`,"stream_options":{"include_usage":true}`), "stream_options"},
		{"stream_options with stream false", chatWith(`,"stream":false,"stream_options":{}`), "stream_options"},
		{"stream_options null", chatWith(`,"stream_options":null`), "-"},
		{"top_logprobs 20", chatWith(`,"top_logprobs":20`), "-"},
		{"top_logprobs 21", chatWith(`,"top_logprobs":21`), "top_logprobs"},
		{"top_logprobs negative", chatWith(`,"top_logprobs":-1`), "top_logprobs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.body, new(ChatCompletionRequest), tt.wantParam)
		})
	}
}

func TestChatValidateTools(t *testing.T) {
	tests := []struct {
		name, body, wantParam string
	}{
		{"function tool", chatWith(`,"tools":[{"type":"function","function":{"name":"f"}}]`), "-"},
		{"custom tool", chatWith(`,"tools":[{"type":"custom"}]`), "-"},
		{"missing type", chatWith(`,"tools":[{"function":{"name":"f"}}]`), "tools[0].type"},
		{"unknown type", chatWith(`,"tools":[{"type":"function","function":{"name":"f"}},{"type":"web_search"}]`), "tools[1].type"},
		{"function without name", chatWith(`,"tools":[{"type":"function","function":{"description":"d"}}]`), "tools[0].function.name"},
		{"function missing", chatWith(`,"tools":[{"type":"function"}]`), "tools[0].function.name"},

		{"tool_choice auto", chatWith(`,"tool_choice":"auto"`), "-"},
		{"tool_choice none", chatWith(`,"tool_choice":"none"`), "-"},
		{"tool_choice required", chatWith(`,"tool_choice":"required"`), "-"},
		{"tool_choice unknown mode", chatWith(`,"tool_choice":"sometimes"`), "tool_choice"},
		{"tool_choice function", chatWith(`,"tool_choice":{"type":"function","function":{"name":"f"}}`), "-"},
		{"tool_choice function without name", chatWith(`,"tool_choice":{"type":"function","function":{}}`), "tool_choice.function.name"},
		{"tool_choice function missing", chatWith(`,"tool_choice":{"type":"function"}`), "tool_choice.function.name"},

		{"response_format text", chatWith(`,"response_format":{"type":"text"}`), "-"},
		{"response_format json_object", chatWith(`,"response_format":{"type":"json_object"}`), "-"},
		{"response_format json_schema", chatWith(`,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}`), "-"},
		{"response_format unknown", chatWith(`,"response_format":{"type":"xml"}`), "response_format.type"},
		{"response_format missing type", chatWith(`,"response_format":{}`), "response_format.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.body, new(ChatCompletionRequest), tt.wantParam)
		})
	}
}

func TestChatValidateMessages(t *testing.T) {
	const user = `{"role":"user","content":"hi"}`
	tests := []struct {
		name, body, wantParam string
	}{
		{"all roles", chatMessages(`{"role":"system","content":"s"},{"role":"developer","content":"d"},` + user +
			`,{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}` +
			`,{"role":"tool","tool_call_id":"c1","content":"r"},{"role":"function","name":"f","content":"r"},{"role":"assistant","content":"ok"}`), "-"},
		{"missing role", chatMessages(`{"content":"hi"}`), "messages[0].role"},
		{"unknown role", chatMessages(user + `,{"role":"bot","content":"hi"}`), "messages[1].role"},
		{"user null content", chatMessages(`{"role":"user","content":null}`), "messages[0].content"},
		{"user missing content", chatMessages(`{"role":"user"}`), "messages[0].content"},
		{"system missing content", chatMessages(`{"role":"system"}`), "messages[0].content"},
		{"developer null content", chatMessages(`{"role":"developer","content":null},` + user), "messages[0].content"},
		{"user empty string", chatMessages(`{"role":"user","content":""}`), "-"},
		{"assistant empty", chatMessages(user + `,{"role":"assistant"}`), "messages[1].content"},
		{"assistant refusal only", chatMessages(user + `,{"role":"assistant","refusal":"no"}`), "-"},
		{"assistant tool call without id", chatMessages(user + `,{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":""}}]}`), "messages[1].tool_calls[0].id"},
		{"tool without id", chatMessages(user + `,{"role":"tool","content":"r"}`), "messages[1].tool_call_id"},
		{"function without name", chatMessages(user + `,{"role":"function","content":"r"}`), "messages[1].name"},

		{"parts", chatMessages(`{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x"}},` +
			`{"type":"input_audio","input_audio":{"data":"AA","format":"wav"}},{"type":"file","file":{"file_id":"f"}},{"type":"refusal","refusal":"r"}]}`), "-"},
		{"part missing type", chatMessages(`{"role":"user","content":[{"text":"a"}]}`), "messages[0].content[0].type"},
		{"part unknown type", chatMessages(`{"role":"user","content":[{"type":"text","text":"a"},{"type":"video"}]}`), "messages[0].content[1].type"},
		{"image without url", chatMessages(`{"role":"user","content":[{"type":"image_url","image_url":{}}]}`), "messages[0].content[0].image_url.url"},
		{"image missing", chatMessages(`{"role":"user","content":[{"type":"image_url"}]}`), "messages[0].content[0].image_url.url"},
		{"audio missing", chatMessages(`{"role":"user","content":[{"type":"input_audio"}]}`), "messages[0].content[0].input_audio"},
		{"file missing", chatMessages(`{"role":"user","content":[{"type":"file"}]}`), "messages[0].content[0].file"},
		{"assistant part checked", chatMessages(user + `,{"role":"assistant","content":[{"type":"bogus"}]}`), "messages[1].content[0].type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.body, new(ChatCompletionRequest), tt.wantParam)
		})
	}
}

func TestCompletionValidate(t *testing.T) {
	with := func(extra string) string { return `{"model":"m","prompt":"p"` + extra + `}` }
	tests := []struct {
		name, body, wantParam string
	}{
		{"minimal", with(""), "-"},
		{"no model", `{"prompt":"p"}`, "model"},
		{"no prompt", `{"model":"m"}`, "prompt"},
		{"null prompt", `{"model":"m","prompt":null}`, "prompt"},
		{"token prompt", `{"model":"m","prompt":[1,2]}`, "-"},
		// The legacy endpoint accepts max_tokens 0 (spec minimum 0): with
		// echo it scores the prompt without generating.
		{"max_tokens 0", with(`,"max_tokens":0,"echo":true`), "-"},
		{"max_tokens negative", with(`,"max_tokens":-1`), "max_tokens"},
		{"max_tokens over cap", with(fmt.Sprintf(`,"max_tokens":%d`, MaxTokensCap+1)), "max_tokens"},
		{"temperature above", with(`,"temperature":3`), "temperature"},
		{"top_p above", with(`,"top_p":2`), "top_p"},
		{"presence_penalty", with(`,"presence_penalty":-3`), "presence_penalty"},
		{"frequency_penalty", with(`,"frequency_penalty":3`), "frequency_penalty"},
		{"n 129", with(`,"n":129`), "n"},
		{"n 0", with(`,"n":0`), "n"},
		{"stop 5", with(`,"stop":["1","2","3","4","5"]`), "stop"},
		{"stream_options without stream", with(`,"stream_options":{"include_usage":true}`), "stream_options"},
		{"stream_options with stream", with(`,"stream":true,"stream_options":{"include_usage":true}`), "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.body, new(CompletionRequest), tt.wantParam)
		})
	}
}

func TestEmbeddingValidate(t *testing.T) {
	with := func(extra string) string { return `{"model":"m","input":"x"` + extra + `}` }
	strs := func(n int) string {
		return `{"model":"m","input":[` + strings.TrimSuffix(strings.Repeat(`"a",`, n), ",") + `]}`
	}
	tests := []struct {
		name, body, wantParam string
	}{
		{"minimal", with(""), "-"},
		{"no model", `{"input":"x"}`, "model"},
		{"no input", `{"model":"m"}`, "input"},
		{"null input", `{"model":"m","input":null}`, "input"},
		{"empty array", `{"model":"m","input":[]}`, "input"},
		{"empty string", `{"model":"m","input":""}`, "input"},
		{"empty string in array", `{"model":"m","input":["a",""]}`, "input"},
		{"max inputs", strs(MaxEmbeddingInputs), "-"},
		{"too many inputs", strs(MaxEmbeddingInputs + 1), "input"},
		{"tokens", `{"model":"m","input":[1,2,3]}`, "-"},
		{"token arrays", `{"model":"m","input":[[1],[2,3]]}`, "-"},
		{"float", with(`,"encoding_format":"float"`), "-"},
		{"base64", with(`,"encoding_format":"base64"`), "-"},
		{"unknown encoding", with(`,"encoding_format":"int8"`), "encoding_format"},
		{"dimensions 1", with(`,"dimensions":1`), "-"},
		{"dimensions 0", with(`,"dimensions":0`), "dimensions"},
		{"dimensions negative", with(`,"dimensions":-1`), "dimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkValidate(t, tt.body, new(EmbeddingRequest), tt.wantParam)
		})
	}
}
