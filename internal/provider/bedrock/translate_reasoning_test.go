package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

// claudeBudget is a Claude with extended thinking, as the catalogue has it.
var claudeBudget = RequestOptions{
	DefaultMaxTokens: 4096,
	MaxOutputTokens:  64_000,
	Model:            ModelInfo{Prefix: "anthropic.claude-3-7-sonnet", Kind: KindChat, Tools: true, ToolChoice: true, Reasoning: ReasoningBudget, MaxOutputTokens: 64_000},
}

// reasoningAnswer is a Converse answer that thinks (signed and redacted)
// and calls a tool.
const reasoningAnswer = `{"output":{"message":{"role":"assistant","content":[
	{"reasoningContent":{"reasoningText":{"text":"I need the weather.","signature":"sig-1"}}},
	{"reasoningContent":{"redactedContent":"c2VjcmV0"}},
	{"text":"Checking."},
	{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]}},
	"stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":1}}`

// reasoningEvents is reasoningAnswer as a stream.
var reasoningEvents = []Event{
	{EventMessageStart, []byte(`{"role":"assistant"}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"I need "}}}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"the weather."}}}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig-"}}}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"1"}}}`)},
	{EventContentBlockStop, []byte(`{"contentBlockIndex":0}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"reasoningContent":{"redactedContent":"c2Vj"}}}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"reasoningContent":{"redactedContent":"cmV0"}}}`)},
	{EventContentBlockStop, []byte(`{"contentBlockIndex":1}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":2,"delta":{"text":"Checking."}}`)},
	{EventContentBlockStart, []byte(`{"contentBlockIndex":3,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather"}}}`)},
	{EventContentBlockDelta, []byte(`{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{\"city\":\"Paris\"}"}}}`)},
	{EventContentBlockStop, []byte(`{"contentBlockIndex":3}`)},
	{EventMessageStop, []byte(`{"stopReason":"tool_use"}`)},
	{EventMetadata, []byte(`{"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"metrics":{"latencyMs":1}}`)},
}

// accumulate folds a stream's chunks into the assistant message the way
// the official OpenAI SDKs do (ChatCompletionStream): strings are
// concatenated, tool calls assembled by index, and other members, such as
// reasoning_details, assigned (the last value wins).
func accumulate(t *testing.T, chunks []*openai.ChatCompletionChunk) map[string]any {
	t.Helper()
	msg := map[string]any{"role": "assistant"}
	var calls []map[string]any
	for _, c := range chunks {
		for _, ch := range c.Choices {
			b, err := json.Marshal(ch.Delta)
			if err != nil {
				t.Fatal(err)
			}
			var d map[string]any
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			for k, v := range d {
				switch k {
				case "role", "refusal":
				case "content", "reasoning_content":
					s, _ := msg[k].(string)
					msg[k] = s + v.(string)
				case "tool_calls":
					for _, raw := range v.([]any) {
						tc := raw.(map[string]any)
						i := int(tc["index"].(float64))
						for len(calls) <= i {
							calls = append(calls, map[string]any{"type": "function", "function": map[string]any{"arguments": ""}})
						}
						fn := calls[i]["function"].(map[string]any)
						if id, ok := tc["id"]; ok {
							calls[i]["id"] = id
						}
						f := tc["function"].(map[string]any)
						if name, ok := f["name"]; ok {
							fn["name"] = name
						}
						fn["arguments"] = fn["arguments"].(string) + f["arguments"].(string)
					}
				default:
					msg[k] = v
				}
			}
		}
	}
	if calls != nil {
		msg["tool_calls"] = calls
	}
	return msg
}

// nextTurn is the request a client sends after msg: the conversation
// with msg and the tool's result.
func nextTurn(t *testing.T, msg any) *openai.ChatCompletionRequest {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"model":            "anthropic.claude-3-7-sonnet-20250219-v1:0",
		"reasoning_effort": "low",
		"tools":            []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather"}}},
		"messages": []any{
			map[string]any{"role": "user", "content": "Weather in Paris?"},
			msg,
			map[string]any{"role": "tool", "tool_call_id": "tooluse_1", "content": "18°C"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return decodeRequest(t, string(body))
}

// TestTranslateReasoningRoundTrip sends back the assistant message of a
// thinking tool-use answer, as a client does, non-streamed and streamed,
// and checks that the next Converse request has the answer's reasoning
// blocks exactly, at the start of the turn, with thinking on.
func TestTranslateReasoningRoundTrip(t *testing.T) {
	var resp ConverseResponse
	if err := json.Unmarshal([]byte(reasoningAnswer), &resp); err != nil {
		t.Fatal(err)
	}
	want := resp.Output.Message.Content
	out, err := FromConverse(&resp, goldenMeta(goldenModel))
	if err != nil {
		t.Fatal(err)
	}
	streamed := accumulate(t, translateEventsMeta(t, goldenMeta(goldenModel), reasoningEvents))
	for name, msg := range map[string]any{"response": out.Choices[0].Message, "stream": streamed} {
		t.Run(name, func(t *testing.T) {
			conv, err := ToConverse(nextTurn(t, msg), claudeBudget)
			if err != nil {
				t.Fatalf("ToConverse: %v", err)
			}
			if len(conv.Messages) != 3 {
				t.Fatalf("got %d turns, want 3", len(conv.Messages))
			}
			if diff := cmp.Diff(want, conv.Messages[1].Content); diff != "" {
				t.Errorf("assistant turn mismatch (-answer +sent back):\n%s", diff)
			}
			if !strings.Contains(string(conv.AdditionalModelRequestFields), `"thinking"`) {
				t.Errorf("got additionalModelRequestFields %s, want thinking", conv.AdditionalModelRequestFields)
			}
		})
	}
}

// TestTranslateReasoningDetailsOnlyWhenSigned checks that unsigned
// reasoning produces no reasoning_details, streamed or not.
func TestTranslateReasoningDetailsOnlyWhenSigned(t *testing.T) {
	events := []Event{
		{EventMessageStart, []byte(`{"role":"assistant"}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm"}}}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"text":"42"}}`)},
		{EventMessageStop, []byte(`{"stopReason":"end_turn"}`)},
	}
	msg := accumulate(t, translateEventsMeta(t, goldenMeta(goldenModel), events))
	if _, ok := msg["reasoning_details"]; ok || msg["reasoning_content"] != "hmm" || msg["content"] != "42" {
		t.Errorf("got message %v, want reasoning_content hmm, content 42 and no reasoning_details", msg)
	}
}

// TestTranslateReasoningBudget checks how the thinking budget and
// maxTokens are chosen from the effort, the client's limit and the
// model's output limit.
func TestTranslateReasoningBudget(t *testing.T) {
	tests := []struct {
		name       string
		effort     string
		limit      string
		maxOutput  int
		wantBudget int
		wantMax    int
	}{
		{"minimal, default limit", "minimal", "", 64_000, 1024, 1024 + 4096},
		{"high, default limit", "high", "", 64_000, 16_384, 16_384 + 4096},
		{"max, capped by the model", "max", "", 32_000, 32_000 - 4096, 32_000},
		{"max, tiny model", "max", "", 3000, 1024, 3000},
		{"client limit above the budget", "low", `,"max_tokens":10000`, 64_000, 2048, 10_000},
		{"client limit below the budget", "high", `,"max_completion_tokens":5000`, 64_000, 4999, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := claudeBudget
			opts.MaxOutputTokens = tt.maxOutput
			opts.DefaultMaxTokens = min(4096, tt.maxOutput)
			out := converse(t, `{"model":"m","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"`+tt.effort+`"`+tt.limit+`}`, opts)
			want := fmt.Sprintf(`{"thinking":{"type":"enabled","budget_tokens":%d}}`, tt.wantBudget)
			if got := string(out.AdditionalModelRequestFields); got != want {
				t.Errorf("got additionalModelRequestFields %s, want %s", got, want)
			}
			if got := out.InferenceConfig.MaxTokens; got == nil || *got != tt.wantMax {
				t.Errorf("got maxTokens %v, want %d", got, tt.wantMax)
			}
		})
	}
}

// TestTranslateReasoningErrors checks the 400s of the reasoning controls.
func TestTranslateReasoningErrors(t *testing.T) {
	tests := []struct {
		name, extra, wantParam string
	}{
		{"thinking not an object", `,"thinking":"on"`, "thinking"},
		{"thinking without budget", `,"thinking":{"type":"enabled"}`, "thinking.budget_tokens"},
		{"budget above the limit", `,"thinking":{"type":"enabled","budget_tokens":4000},"max_tokens":3000`, "max_tokens"},
		{"budget above the model", `,"thinking":{"type":"enabled","budget_tokens":70000}`, "thinking.budget_tokens"},
		{"encrypted reasoning not base64", `,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b","reasoning_details":[{"type":"reasoning.encrypted","data":"%%"}]},{"role":"user","content":"c"}]`, "messages[1].reasoning_details[0].data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"m","messages":[{"role":"user","content":"hi"}]` + tt.extra + `}`
			if strings.Contains(tt.extra, `"messages"`) {
				body = `{"model":"m"` + tt.extra + `}`
			}
			_, err := ToConverse(decodeRequest(t, body), claudeBudget)
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.Status != 400 || oe.Param != tt.wantParam {
				t.Errorf("got error %v, want a 400 naming %s", err, tt.wantParam)
			}
		})
	}
}

// TestTranslateResponseMetaForRequest checks what the answer's
// translation is told about the request.
func TestTranslateResponseMetaForRequest(t *testing.T) {
	tests := []struct {
		name          string
		format        string
		opts          RequestOptions
		wantTool      string
		wantThinkTags bool
	}{
		{"text", ``, RequestOptions{ThinkTags: true}, "", true},
		{"json_object, unknown model", `,"response_format":{"type":"json_object"}`, RequestOptions{ThinkTags: true}, jsonTool, false},
		{
			"strict schema, structured output", `,"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object"}}}`,
			RequestOptions{Model: ModelInfo{Prefix: "anthropic.claude-sonnet-4-5", Tools: true, StructuredOutput: true}},
			"", false,
		},
		{
			"schema, structured output, not strict", `,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}`,
			RequestOptions{Model: ModelInfo{Prefix: "anthropic.claude-sonnet-4-5", Tools: true, StructuredOutput: true}},
			jsonTool, false,
		},
		{"json_object, no tools", `,"response_format":{"type":"json_object"}`, RequestOptions{Model: ModelInfo{Prefix: "amazon.titan-text-premier"}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := decodeRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}]`+tt.format+`}`)
			got := goldenMeta(goldenModel).ForRequest(req, tt.opts)
			if got.JSONTool != tt.wantTool || got.ThinkTags != tt.wantThinkTags {
				t.Errorf("got JSONTool %q ThinkTags %v, want %q %v", got.JSONTool, got.ThinkTags, tt.wantTool, tt.wantThinkTags)
			}
			conv, err := ToConverse(req, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			hasTool := conv.ToolConfig != nil && conv.ToolConfig.Tools[len(conv.ToolConfig.Tools)-1].ToolSpec.Name == jsonTool
			if hasTool != (tt.wantTool != "") {
				t.Errorf("got json tool in the request %v, want %v", hasTool, tt.wantTool != "")
			}
		})
	}
}

// TestTranslateThinkTagsStripped checks which assistant texts lose their
// <think> block in the <think> mode.
func TestTranslateThinkTagsStripped(t *testing.T) {
	const tools = `,"tools":[{"type":"function","function":{"name":"f"}}]`
	tests := []struct {
		name      string
		assistant string
		thinkTags bool
		want      []string
	}{
		{"think then text", `{"role":"assistant","content":"<think>\nhmm\n</think>\n\nHello"}`, true, []string{"Hello"}},
		{"think only, with a call", `{"role":"assistant","content":"<think>hmm</think>","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}`, true, []string{"toolUse"}},
		{"think only", `{"role":"assistant","content":"<think>hmm</think>"}`, true, []string{"<think>hmm</think>"}},
		{"think not first", `{"role":"assistant","content":"Hello <think>x</think> there"}`, true, []string{"Hello <think>x</think> there"}},
		{"unclosed", `{"role":"assistant","content":"<think>hmm"}`, true, []string{"<think>hmm"}},
		{"mode off", `{"role":"assistant","content":"<think>hmm</think>Hello"}`, false, []string{"<think>hmm</think>Hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"m"` + tools + `,"messages":[{"role":"user","content":"hi"},` + tt.assistant + `,{"role":"user","content":"go on"}]}`
			out := converse(t, body, RequestOptions{ThinkTags: tt.thinkTags})
			var got []string
			for _, b := range out.Messages[1].Content {
				switch {
				case b.Text != nil:
					got = append(got, *b.Text)
				case b.ToolUse != nil:
					got = append(got, "toolUse")
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("assistant turn mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
