package bedrock

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
)

func TestTranslateFinishReason(t *testing.T) {
	tests := []struct {
		stop, want string
	}{
		{StopEndTurn, openai.FinishStop},
		{StopSequence, openai.FinishStop},
		{StopMaxTokens, openai.FinishLength},
		{"model_context_window_exceeded", openai.FinishLength},
		{StopToolUse, openai.FinishToolCalls},
		{StopGuardrailIntervened, openai.FinishContentFilter},
		{StopContentFiltered, openai.FinishContentFilter},
		{"malformed_model_output", openai.FinishStop},
		{"malformed_tool_use", openai.FinishStop},
		{"", openai.FinishStop},
		{"something_new", openai.FinishStop},
	}
	for _, tt := range tests {
		if got := FinishReason(tt.stop); got != tt.want {
			t.Errorf("FinishReason(%q): got %q, want %q", tt.stop, got, tt.want)
		}
	}
}

func TestTranslateToUsage(t *testing.T) {
	tests := []struct {
		name string
		in   TokenUsage
		want openai.Usage
	}{
		{
			name: "no cache",
			in:   TokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15},
			want: openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, PromptTokensDetails: &openai.PromptTokensDetails{}},
		},
		{
			name: "cache read and write",
			in:   TokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 315, CacheReadInputTokens: 200, CacheWriteInputTokens: 100},
			want: openai.Usage{PromptTokens: 310, CompletionTokens: 5, TotalTokens: 315, PromptTokensDetails: &openai.PromptTokensDetails{CachedTokens: 200, CacheWriteTokens: 100}},
		},
		{
			// A total that does not add up (as some gateways' emulators
			// send) is recomputed, so the OpenAI usage is consistent.
			name: "inconsistent total",
			in:   TokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 99},
			want: openai.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, PromptTokensDetails: &openai.PromptTokensDetails{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, *ToUsage(tt.in)); diff != "" {
				t.Errorf("ToUsage mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTranslateFromConverseBadToolInput(t *testing.T) {
	resp := &ConverseResponse{StopReason: StopToolUse}
	resp.Output.Message = &Message{Role: RoleAssistant, Content: []ContentBlock{
		{ToolUse: &ToolUseBlock{ToolUseID: "t1", Name: "f", Input: json.RawMessage(`{"a":`)}},
	}}
	if _, err := FromConverse(resp, goldenMeta(goldenModel)); err == nil {
		t.Error("got no error for a tool input that is not JSON, want one")
	}
}

func TestTranslateFromConverseNoMessage(t *testing.T) {
	resp := &ConverseResponse{StopReason: StopContentFiltered}
	got, err := FromConverse(resp, goldenMeta(goldenModel))
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Choices[0]; c.Message.Content != nil || c.FinishReason != openai.FinishContentFilter {
		t.Errorf("got content %v finish %q, want null content and content_filter", c.Message.Content, c.FinishReason)
	}
}

// TestTranslateToConverseLeavesInputs checks that translation changes
// neither the request nor the options it was given.
func TestTranslateToConverseLeavesInputs(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/translate/request_tool_history.txtar")
	if err != nil {
		t.Fatal(err)
	}
	req := decodeGoldenRequest(t, ar)
	before := decodeGoldenRequest(t, ar)
	guard := &GuardrailConfig{GuardrailIdentifier: "g", GuardrailVersion: "1", StreamProcessingMode: "async"}
	out, err := ToConverse(req, RequestOptions{Guardrail: guard})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, req); diff != "" {
		t.Errorf("request changed (-before +after):\n%s", diff)
	}
	if guard.StreamProcessingMode != "async" {
		t.Errorf("got the options' streamProcessingMode %q after translation, want async", guard.StreamProcessingMode)
	}
	if out.GuardrailConfig == guard || out.GuardrailConfig.StreamProcessingMode != "" {
		t.Errorf("got guardrailConfig %+v (shared: %v), want a copy without streamProcessingMode", out.GuardrailConfig, out.GuardrailConfig == guard)
	}
}

// FuzzToConverse checks that any request the OpenAI decoder accepts
// either translates into a request Bedrock's rules allow or is refused
// with a 400 naming a parameter; it never panics.
func FuzzToConverse(f *testing.F) {
	for _, file := range goldenFiles(f, "request_") {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(section(ar, fileOpenAIJSON))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := openai.DecodeChatCompletionRequest(body)
		if err != nil {
			return
		}
		out, err := ToConverse(req, RequestOptions{DefaultMaxTokens: 4096, MaxOutputTokens: 8192})
		if err != nil {
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.Status != 400 || oe.Param == "" {
				t.Fatalf("got error %v, want a 400 *openai.Error with a param", err)
			}
			return
		}
		if problem := converseProblem(out); problem != "" {
			t.Fatalf("%s; request %s", problem, body)
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	})
}

// converseProblem returns what breaks Bedrock's request rules in r, or "".
func converseProblem(r *ConverseRequest) string {
	if len(r.Messages) == 0 || r.Messages[0].Role != RoleUser {
		return "conversation does not start with a user turn"
	}
	for i, m := range r.Messages {
		if i > 0 && m.Role == r.Messages[i-1].Role {
			return "roles do not alternate"
		}
		if len(m.Content) == 0 {
			return "empty turn"
		}
		for _, b := range m.Content {
			if b.Text != nil && *b.Text == "" {
				return "empty text block"
			}
		}
	}
	for _, s := range r.System {
		if s.Text != nil && *s.Text == "" {
			return "empty system block"
		}
	}
	if ic := r.InferenceConfig; ic != nil {
		if ic.MaxTokens != nil && (*ic.MaxTokens < 1 || *ic.MaxTokens > 8192) {
			return "maxTokens out of range"
		}
		if ic.Temperature != nil && (*ic.Temperature < 0 || *ic.Temperature > 1) {
			return "temperature out of range"
		}
	}
	if tc := r.ToolConfig; tc != nil && len(tc.Tools) == 0 {
		return "toolConfig without tools"
	}
	return ""
}

// benchmarkRequest is a typical agent turn: system prompt, history with a
// tool round trip, two tools.
func benchmarkRequest(b *testing.B) *openai.ChatCompletionRequest {
	b.Helper()
	ar, err := txtar.ParseFile("testdata/translate/request_tool_history.txtar")
	if err != nil {
		b.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(section(ar, fileOpenAIJSON), &body); err != nil {
		b.Fatal(err)
	}
	msgs := body["messages"].([]any)
	body["messages"] = append([]any{map[string]any{"role": "system", "content": "You are a weather assistant."}}, msgs...)
	body["max_tokens"], body["temperature"] = 1024, 0.3
	raw, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	req, err := openai.DecodeChatCompletionRequest(raw)
	if err != nil {
		b.Fatal(err)
	}
	return req
}

func BenchmarkToConverse(b *testing.B) {
	req := benchmarkRequest(b)
	opts := RequestOptions{DefaultMaxTokens: 4096, MaxOutputTokens: 8192}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToConverse(req, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromConverse(b *testing.B) {
	ar, err := txtar.ParseFile("testdata/translate/response_tool_use.txtar")
	if err != nil {
		b.Fatal(err)
	}
	var resp ConverseResponse
	if err := json.Unmarshal(section(ar, fileBedrockJSON), &resp); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromConverse(&resp, goldenMeta(goldenModel)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamTranslate measures one text delta, the bulk of any
// stream: allocations per op are allocations per chunk.
func BenchmarkStreamTranslate(b *testing.B) {
	b.Run("text_delta", func(b *testing.B) {
		tr := NewStreamTranslator(goldenMeta(goldenModel))
		if _, err := tr.Translate(Event{Type: EventMessageStart, Payload: []byte(`{"role":"assistant","p":"abcdefgh"}`)}); err != nil {
			b.Fatal(err)
		}
		ev := Event{Type: EventContentBlockDelta, Payload: []byte(`{"contentBlockIndex":0,"delta":{"text":" the quick brown fox"},"p":"abcdefghijklmnop"}`)}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tr.Translate(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tool_stream", func(b *testing.B) {
		data, err := os.ReadFile("testdata/translate/stream_parallel_tools.txtar")
		if err != nil {
			b.Fatal(err)
		}
		events := parseEvents(b, section(txtar.Parse(data), fileEvents))
		chunks := 0
		b.ReportAllocs()
		for b.Loop() {
			tr := NewStreamTranslator(goldenMeta(goldenModel))
			chunks = 0
			for _, ev := range events {
				out, err := tr.Translate(ev)
				if err != nil {
					b.Fatal(err)
				}
				chunks += len(out)
			}
		}
		b.ReportMetric(float64(chunks), "chunks/op")
	})
}
