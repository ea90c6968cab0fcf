package openai

import (
	"encoding/json"
	"testing"
)

// usageOf decodes only `usage` from a raw chunk, as a relaying provider does
// before it sets Raw.
func usageOf(t *testing.T, raw string) *Usage {
	t.Helper()
	var v struct {
		Usage *Usage `json:"usage"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("chunk %s: %v", raw, err)
	}
	return v.Usage
}

// rawChunks are upstream stream chunks with whether each is the trailing
// usage-only chunk.
var rawChunks = []struct {
	name string
	raw  string
	want bool
}{
	{"usage chunk", `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10}}`, true},
	{"usage chunk spaced", "{\"choices\": [ \n ], \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 1, \"total_tokens\": 2}}", true},
	{"usage before choices", `{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"choices":[]}`, true},
	{"usage without choices member", `{"id":"c","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`, true},
	{"null usage", `{"choices":[ ],"usage":null}`, false},
	{"azure prompt filter", `{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}`, false},
	{"normal chunk", `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`, false},
	{"normal chunk with null usage", `{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}`, false},
	{"last choice carrying usage", `{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`, false},
}

func TestChatChunkUsageOnlyRaw(t *testing.T) {
	for _, tt := range rawChunks {
		t.Run(tt.name, func(t *testing.T) {
			c := &ChatCompletionChunk{Raw: []byte(tt.raw), Usage: usageOf(t, tt.raw)}
			if got := c.UsageOnly(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompletionUsageOnlyRaw(t *testing.T) {
	for _, tt := range rawChunks {
		t.Run(tt.name, func(t *testing.T) {
			c := &CompletionResponse{Raw: []byte(tt.raw), Usage: usageOf(t, tt.raw)}
			if got := c.UsageOnly(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUsageOnlyTyped(t *testing.T) {
	usage := &Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}
	stop := FinishStop
	tests := []struct {
		name  string
		chunk ChatCompletionChunk
		compl CompletionResponse
		want  bool
	}{
		{"usage, no choices", ChatCompletionChunk{Usage: usage}, CompletionResponse{Usage: usage}, true},
		{"usage, empty choices", ChatCompletionChunk{Usage: usage, Choices: []ChunkChoice{}}, CompletionResponse{Usage: usage, Choices: []CompletionChoice{}}, true},
		{"no usage, no choices", ChatCompletionChunk{}, CompletionResponse{}, false},
		{
			"choices and usage",
			ChatCompletionChunk{Usage: usage, Choices: []ChunkChoice{{FinishReason: &stop}}},
			CompletionResponse{Usage: usage, Choices: []CompletionChoice{{Text: "x", FinishReason: &stop}}},
			false,
		},
		{
			"choices only",
			ChatCompletionChunk{Choices: []ChunkChoice{{Delta: Delta{Content: ptr("x")}}}},
			CompletionResponse{Choices: []CompletionChoice{{Text: "x"}}},
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.chunk.UsageOnly(); got != tt.want {
				t.Errorf("chat chunk: got %v, want %v", got, tt.want)
			}
			if got := tt.compl.UsageOnly(); got != tt.want {
				t.Errorf("completion chunk: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeltaMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		d    Delta
		want string
	}{
		{"empty", Delta{}, `{}`},
		{"first chunk", Delta{Role: RoleAssistant, Content: ptr(""), NullRefusal: true}, `{"role":"assistant","content":"","refusal":null}`},
		{
			"tool call chunk",
			Delta{NullContent: true, ToolCalls: []ToolCall{{Index: ptr(0), ID: "call_1", Type: "function", Function: FunctionCall{Name: "f"}}}},
			`{"content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}`,
		},
		{"both null", Delta{NullContent: true, NullRefusal: true}, `{"content":null,"refusal":null}`},
		{"content wins over null", Delta{Content: ptr("Hi"), NullContent: true}, `{"content":"Hi"}`},
		{"refusal wins over null", Delta{Refusal: ptr("no"), NullRefusal: true}, `{"refusal":"no"}`},
		{"escaped content", Delta{Content: ptr("a\"<b>\n")}, `{"content":"a\"\u003cb\u003e\n"}`},
		{"reasoning", Delta{ReasoningContent: ptr("think")}, `{"reasoning_content":"think"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDeltaInChunk(t *testing.T) {
	// The custom marshaller is used when the delta is a field of a choice.
	c := ChatCompletionChunk{ID: "c", Object: ObjectChatCompletionChunk, Model: "m", Choices: []ChunkChoice{{Delta: Delta{NullContent: true}}}}
	got, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"c","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"content":null},"finish_reason":null}]}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
