package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
)

// fileMeta is the optional ResponseMeta of a response or stream case.
const fileMeta = "meta.json"

// goldenMetaOf returns the golden metadata, with the fields a case's
// meta.json sets (JSONTool, ThinkTags).
func goldenMetaOf(t *testing.T, ar *txtar.Archive) ResponseMeta {
	t.Helper()
	meta := goldenMeta(goldenModel)
	if b := section(ar, fileMeta); b != nil {
		if err := json.Unmarshal(b, &meta); err != nil {
			t.Fatalf("%s: %v", fileMeta, err)
		}
	}
	return meta
}

// translateEventsMeta feeds events one at a time to a new translator of
// meta.
func translateEventsMeta(t *testing.T, meta ResponseMeta, events []Event) []*openai.ChatCompletionChunk {
	t.Helper()
	tr := NewStreamTranslator(meta)
	var out []*openai.ChatCompletionChunk
	for i, ev := range events {
		chunks, err := tr.Translate(ev)
		if err != nil {
			t.Fatalf("event %d (%s): %v", i, ev.Type, err)
		}
		out = append(out, chunks...)
	}
	return out
}

// decodeRequest decodes a chat request body, failing the test if the
// OpenAI decoder refuses it.
func decodeRequest(t *testing.T, body string) *openai.ChatCompletionRequest {
	t.Helper()
	req, err := openai.DecodeChatCompletionRequest([]byte(body))
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return req
}

// converse translates body with opts, failing the test on an error.
func converse(t *testing.T, body string, opts RequestOptions) *ConverseRequest {
	t.Helper()
	out, err := ToConverse(decodeRequest(t, body), opts)
	if err != nil {
		t.Fatalf("ToConverse: %v", err)
	}
	return out
}

// turnShapes describes each turn as its role and its blocks' kinds, e.g.
// "assistant: text toolUse(call_1)".
func turnShapes(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		kinds := []string{m.Role + ":"}
		for _, b := range m.Content {
			switch {
			case b.Text != nil:
				kinds = append(kinds, "text")
			case b.ToolUse != nil:
				kinds = append(kinds, "toolUse("+b.ToolUse.ToolUseID+")")
			case b.ToolResult != nil:
				kinds = append(kinds, "toolResult("+b.ToolResult.ToolUseID+","+b.ToolResult.Status+")")
			case b.ReasoningContent != nil:
				kinds = append(kinds, "reasoning")
			default:
				kinds = append(kinds, "other")
			}
		}
		out = append(out, strings.Join(kinds, " "))
	}
	return out
}

// TestTranslateToolHygiene checks that tool blocks always pair up the way
// Bedrock requires, whatever order and completeness the client's history
// has.
func TestTranslateToolHygiene(t *testing.T) {
	const tools = `"tools":[{"type":"function","function":{"name":"f"}}]`
	call := func(id string) string {
		return `{"id":"` + id + `","type":"function","function":{"name":"f","arguments":"{}"}}`
	}
	tests := []struct {
		name string
		body string
		want []string
	}{
		{
			name: "results reordered after the calls, text last",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[` + call("a") + `,` + call("b") + `]},
				{"role":"tool","tool_call_id":"b","content":"2"},
				{"role":"user","content":"hurry"},
				{"role":"tool","tool_call_id":"a","content":"1"}]}`,
			want: []string{"user: text", "assistant: toolUse(a) toolUse(b)", "user: toolResult(a,success) toolResult(b,success) text"},
		},
		{
			name: "unanswered call gets an error result before the user's text",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[` + call("a") + `]},
				{"role":"user","content":"never mind"}]}`,
			want: []string{"user: text", "assistant: toolUse(a)", "user: toolResult(a,error) text"},
		},
		{
			name: "conversation ending with calls gets a result turn",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[` + call("a") + `]}]}`,
			want: []string{"user: text", "assistant: toolUse(a)", "user: toolResult(a,error)"},
		},
		{
			name: "duplicate and unknown results become text",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[` + call("a") + `]},
				{"role":"tool","tool_call_id":"a","content":"1"},
				{"role":"tool","tool_call_id":"a","content":"again"},
				{"role":"tool","tool_call_id":"zzz","content":"?"}]}`,
			want: []string{"user: text", "assistant: toolUse(a)", "user: toolResult(a,success) text text"},
		},
		{
			name: "result before any call becomes text",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"tool","tool_call_id":"a","content":"1"},
				{"role":"user","content":"go"}]}`,
			want: []string{"user: text text"},
		},
		{
			name: "result of an earlier turn becomes text",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[` + call("a") + `]},
				{"role":"tool","tool_call_id":"a","content":"1"},
				{"role":"assistant","content":"done"},
				{"role":"tool","tool_call_id":"a","content":"late"}]}`,
			want: []string{"user: text", "assistant: toolUse(a)", "user: toolResult(a,success)", "assistant: text", "user: text"},
		},
		{
			name: "is_error marks the result",
			body: `{"model":"m",` + tools + `,"messages":[{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[` + call("a") + `]},
				{"role":"tool","tool_call_id":"a","content":"boom","is_error":true}]}`,
			want: []string{"user: text", "assistant: toolUse(a)", "user: toolResult(a,error)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := converse(t, tt.body, RequestOptions{})
			if diff := cmp.Diff(tt.want, turnShapes(out.Messages)); diff != "" {
				t.Errorf("turns mismatch (-want +got):\n%s", diff)
			}
			if problem := converseProblem(out) + toolPairingProblem(out); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// TestTranslateToolPairingCheck makes sure toolPairingProblem catches
// broken conversations, so that the fuzz target's check means something.
func TestTranslateToolPairingCheck(t *testing.T) {
	use := func(id string) ContentBlock { return ContentBlock{ToolUse: &ToolUseBlock{ToolUseID: id, Name: "f"}} }
	result := func(id string) ContentBlock { return ContentBlock{ToolResult: &ToolResultBlock{ToolUseID: id}} }
	text := ContentBlock{Text: ptr("x")}
	tc := &ToolConfig{Tools: []Tool{{ToolSpec: &ToolSpec{Name: "f"}}}}
	tests := []struct {
		name string
		r    ConverseRequest
		bad  bool
	}{
		{"paired", ConverseRequest{ToolConfig: tc, Messages: []Message{{RoleUser, []ContentBlock{text}}, {RoleAssistant, []ContentBlock{use("a"), use("b")}}, {RoleUser, []ContentBlock{result("a"), result("b"), text}}}}, false},
		{"no toolConfig", ConverseRequest{Messages: []Message{{RoleUser, []ContentBlock{text}}, {RoleAssistant, []ContentBlock{use("a")}}, {RoleUser, []ContentBlock{result("a")}}}}, true},
		{"out of order", ConverseRequest{ToolConfig: tc, Messages: []Message{{RoleUser, []ContentBlock{text}}, {RoleAssistant, []ContentBlock{use("a"), use("b")}}, {RoleUser, []ContentBlock{result("b"), result("a")}}}}, true},
		{"text first", ConverseRequest{ToolConfig: tc, Messages: []Message{{RoleUser, []ContentBlock{text}}, {RoleAssistant, []ContentBlock{use("a")}}, {RoleUser, []ContentBlock{text, result("a")}}}}, true},
		{"unanswered at the end", ConverseRequest{ToolConfig: tc, Messages: []Message{{RoleUser, []ContentBlock{text}}, {RoleAssistant, []ContentBlock{use("a")}}}}, true},
		{"orphan result", ConverseRequest{ToolConfig: tc, Messages: []Message{{RoleUser, []ContentBlock{result("a"), text}}}}, true},
	}
	for _, tt := range tests {
		if got := toolPairingProblem(&tt.r) != ""; got != tt.bad {
			t.Errorf("%s: got problem %q, want one: %v", tt.name, toolPairingProblem(&tt.r), tt.bad)
		}
	}
}

// TestTranslateToolUseID checks that a call and its result keep matching
// when the client's ID is not one Bedrock takes.
func TestTranslateToolUseID(t *testing.T) {
	tests := []struct{ id, want string }{
		{"call_abc-1.2:3", "call_abc-1.2:3"},
		{"toolu_01A", "toolu_01A"},
		{"call with spaces", toolUseID("call with spaces")},
		{strings.Repeat("x", 65), toolUseID(strings.Repeat("x", 65))},
	}
	for _, tt := range tests {
		got := toolUseID(tt.id)
		if got != tt.want || !validToolUseID(got) {
			t.Errorf("toolUseID(%q): got %q (valid %v), want %q", tt.id, got, validToolUseID(got), tt.want)
		}
	}
	if a, b := toolUseID("a b"), toolUseID("a_b"); a == b {
		t.Errorf("toolUseID: %q and %q both map to %q", "a b", "a_b", a)
	}
}

// TestTranslateParallelToolCalls checks where parallel_tool_calls false
// goes: Claude gets Anthropic's switch with the whole tool choice, other
// models nothing.
func TestTranslateParallelToolCalls(t *testing.T) {
	claude := ModelInfo{Prefix: "anthropic.claude-sonnet-4-5", Kind: KindChat, Tools: true, ToolChoice: true}
	llama := ModelInfo{Prefix: "meta.llama3-3", Kind: KindChat, Tools: true}
	base := `{"model":"x","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false`
	tests := []struct {
		name       string
		body       string
		model      ModelInfo
		wantFields string
		wantChoice bool
	}{
		{"claude auto", base + `}`, claude, `{"tool_choice":{"disable_parallel_tool_use":true,"type":"auto"}}`, false},
		{"claude required", base + `,"tool_choice":"required"}`, claude, `{"tool_choice":{"disable_parallel_tool_use":true,"type":"any"}}`, false},
		{"claude named", base + `,"tool_choice":{"type":"function","function":{"name":"f"}}}`, claude, `{"tool_choice":{"disable_parallel_tool_use":true,"name":"f","type":"tool"}}`, false},
		{"claude parallel true", strings.Replace(base, "false", "true", 1) + `,"tool_choice":"auto"}`, claude, ``, true},
		{"llama advisory", base + `}`, llama, ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := converse(t, tt.body, RequestOptions{Model: tt.model})
			if got := string(out.AdditionalModelRequestFields); got != tt.wantFields {
				t.Errorf("got additionalModelRequestFields %s, want %s", got, tt.wantFields)
			}
			if got := out.ToolConfig.ToolChoice != nil; got != tt.wantChoice {
				t.Errorf("got toolConfig.toolChoice %v, want set %v", out.ToolConfig.ToolChoice, tt.wantChoice)
			}
		})
	}
}

// toolPairingProblem returns what breaks Bedrock's tool block rules in r,
// or "": tool blocks need a toolConfig; each turn's toolUse blocks are
// answered, in order, by the toolResult blocks the next turn starts with;
// no other toolResult exists.
func toolPairingProblem(r *ConverseRequest) string {
	answered := 0 // toolResult blocks expected at the start of this turn
	var calls []*ToolUseBlock
	for i, m := range r.Messages {
		for j, b := range m.Content {
			switch {
			case (b.ToolUse != nil || b.ToolResult != nil) && r.ToolConfig == nil:
				return fmt.Sprintf("turn %d: tool block without a toolConfig", i)
			case b.ToolResult != nil && (j >= answered || b.ToolResult.ToolUseID != calls[j].ToolUseID):
				return fmt.Sprintf("turn %d block %d: toolResult %s answers no call of the turn before", i, j, b.ToolResult.ToolUseID)
			case b.ToolResult == nil && j < answered:
				return fmt.Sprintf("turn %d: call %s unanswered", i, calls[j].ToolUseID)
			}
		}
		if len(m.Content) < answered {
			return fmt.Sprintf("turn %d: %d calls unanswered", i, answered-len(m.Content))
		}
		calls = toolUses(m)
		answered = len(calls)
	}
	if answered > 0 {
		return "the conversation ends with unanswered calls"
	}
	return ""
}

// fuzzModels are the catalogue entries FuzzToConverseModels translates
// for: each reasoning style, with and without tools, toolChoice and
// structured output, and an unknown model.
func fuzzModels() []RequestOptions {
	rows := []ModelInfo{
		{},
		{Prefix: "anthropic.claude-3-7-sonnet", Tools: true, ToolChoice: true, Reasoning: ReasoningBudget},
		{Prefix: "anthropic.claude-sonnet-4-5", Tools: true, ToolChoice: true, Reasoning: ReasoningBudget, StructuredOutput: true, ExclusiveSampling: true},
		{Prefix: "anthropic.claude-opus-4-6", Tools: true, ToolChoice: true, Reasoning: ReasoningAdaptive, StructuredOutput: true},
		{Prefix: "amazon.nova-2-lite", Tools: true, ToolChoice: true, Reasoning: ReasoningEffort},
		{Prefix: "openai.gpt-oss-120b", Tools: true, Reasoning: ReasoningEffort},
		{Prefix: "deepseek.r1", Reasoning: ReasoningAlways},
		{Prefix: "amazon.titan-text-premier"},
	}
	out := make([]RequestOptions, len(rows))
	for i, m := range rows {
		m.Kind = KindChat
		out[i] = RequestOptions{DefaultMaxTokens: 4096, MaxOutputTokens: 8192, Model: m, ThinkTags: i%2 == 1}
	}
	return out
}

// FuzzToConverseModels checks, for models of every kind, that any request
// the OpenAI decoder accepts either translates into a request Bedrock's
// rules allow, tool blocks paired, or is refused with a 400 naming a
// parameter; it never panics.
func FuzzToConverseModels(f *testing.F) {
	for _, file := range goldenFiles(f, "request_") {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(section(ar, fileOpenAIJSON))
	}
	models := fuzzModels()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := openai.DecodeChatCompletionRequest(body)
		if err != nil {
			return
		}
		for _, opts := range models {
			out, err := ToConverse(req, opts)
			if err != nil {
				var oe *openai.Error
				if !errors.As(err, &oe) || oe.Status != 400 || oe.Param == "" {
					t.Fatalf("model %q: got error %v, want a 400 *openai.Error with a param", opts.Model.Prefix, err)
				}
				continue
			}
			if problem := converseProblem(out) + toolPairingProblem(out); problem != "" {
				t.Fatalf("model %q: %s; request %s", opts.Model.Prefix, problem, body)
			}
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("marshal: %v", err)
			}
		}
	})
}
