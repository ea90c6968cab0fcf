package openai

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// randomText is a string of the characters encoding/json treats
// specially, and others.
func randomText(r *rand.Rand) string {
	pieces := []string{
		"", "a", "hello", " ", `"`, `\`, "/", "<", ">", "&", "\n", "\r", "\t", "\b", "\f",
		"\x00", "\x01", "\x1f", "\x7f", "é", "日本", "😀", "\u2028", "\u2029", "\ufffd", "\xff", "\xe2\x82", "\xed\xa0\x80", "\u00a0",
	}
	var s string
	for range r.IntN(6) {
		s += pieces[r.IntN(len(pieces))]
	}
	return s
}

func randomPtr(r *rand.Rand) *string {
	if r.IntN(2) == 0 {
		return nil
	}
	s := randomText(r)
	return &s
}

func randomUsage(r *rand.Rand) *Usage {
	if r.IntN(2) == 0 {
		return nil
	}
	u := &Usage{PromptTokens: r.IntN(5000), CompletionTokens: r.IntN(3), TotalTokens: r.IntN(1 << 20)}
	if r.IntN(2) == 0 {
		u.PromptTokensDetails = &PromptTokensDetails{CachedTokens: r.IntN(3), AudioTokens: r.IntN(2), CacheWriteTokens: r.IntN(2) * 77}
	}
	if r.IntN(2) == 0 {
		u.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: r.IntN(3), AudioTokens: r.IntN(2), AcceptedPredictionTokens: r.IntN(2), RejectedPredictionTokens: r.IntN(2)}
	}
	return u
}

func randomToolCalls(r *rand.Rand) []ToolCall {
	var calls []ToolCall
	switch r.IntN(3) {
	case 0:
		return nil
	case 1:
		calls = []ToolCall{}
	}
	for range r.IntN(3) {
		tc := ToolCall{ID: randomText(r), Type: []string{"", "function"}[r.IntN(2)], Function: FunctionCall{Name: randomText(r), Arguments: randomText(r)}}
		if r.IntN(2) == 0 {
			i := r.IntN(3) - 1
			tc.Index = &i
		}
		calls = append(calls, tc)
	}
	return calls
}

func randomChunk(r *rand.Rand) *ChatCompletionChunk {
	c := &ChatCompletionChunk{
		ID: randomText(r), Object: ObjectChatCompletionChunk, Created: r.Int64N(1<<40) - 5, Model: randomText(r),
		SystemFingerprint: randomPtr(r), ServiceTier: []string{"", "default"}[r.IntN(2)], Usage: randomUsage(r),
	}
	if r.IntN(4) > 0 {
		c.Choices = []ChunkChoice{}
	}
	for i := range r.IntN(3) {
		c.Choices = append(c.Choices, ChunkChoice{Index: i, FinishReason: randomPtr(r), Delta: Delta{
			Role: []string{"", "assistant"}[r.IntN(2)], Content: randomPtr(r), Refusal: randomPtr(r),
			ToolCalls: randomToolCalls(r), ReasoningContent: randomPtr(r), NullContent: r.IntN(2) == 0, NullRefusal: r.IntN(2) == 0,
		}, Logprobs: randomNullLogprobs(r)})
	}
	return c
}

func randomResponse(r *rand.Rand) *ChatCompletionResponse {
	resp := &ChatCompletionResponse{
		ID: randomText(r), Object: ObjectChatCompletion, Created: r.Int64N(1 << 40), Model: randomText(r),
		SystemFingerprint: randomPtr(r), ServiceTier: []string{"", "default"}[r.IntN(2)], Usage: randomUsage(r),
	}
	if r.IntN(4) > 0 {
		resp.Choices = []Choice{}
	}
	for i := range r.IntN(3) {
		resp.Choices = append(resp.Choices, Choice{Index: i, FinishReason: randomText(r), Message: ResponseMessage{
			Role: "assistant", Content: randomPtr(r), Refusal: randomPtr(r), ToolCalls: randomToolCalls(r), ReasoningContent: randomPtr(r),
		}, Logprobs: randomNullLogprobs(r)})
	}
	return resp
}

// randomNullLogprobs is absent or null logprobs, the two AppendJSON
// writes (a translator sets null in every chunk).
func randomNullLogprobs(r *rand.Rand) json.RawMessage {
	if r.IntN(2) == 0 {
		return nil
	}
	return json.RawMessage("null")
}

// checkAppend fails when fast differs from json.Marshal(v).
func checkAppend(t *testing.T, v any, fast []byte, ok bool) {
	t.Helper()
	if !ok {
		t.Fatalf("AppendJSON gave up on %+v", v)
	}
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(fast) != string(want) {
		t.Fatalf("AppendJSON wrote\n%s\njson.Marshal wrote\n%s", fast, want)
	}
}

func TestAppendJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for range 5000 {
		c := randomChunk(r)
		b, ok := c.AppendJSON([]byte("prefix"))
		if ok && string(b[:6]) != "prefix" {
			t.Fatal("dst was not appended to")
		}
		checkAppend(t, c, b[6:], ok)
		resp := randomResponse(r)
		b, ok = resp.AppendJSON(nil)
		checkAppend(t, resp, b, ok)
	}
}

// TestAppendJSONGivesUp checks the members AppendJSON leaves to
// json.Marshal.
func TestAppendJSONGivesUp(t *testing.T) {
	raw := json.RawMessage(`{"x":1}`)
	chunks := map[string]*ChatCompletionChunk{
		"raw":               {Raw: []byte(`{}`)},
		"trace":             {BedrockTrace: raw},
		"sources":           {Sources: raw},
		"logprobs":          {Choices: []ChunkChoice{{Logprobs: raw}}},
		"spaced null":       {Choices: []ChunkChoice{{Logprobs: json.RawMessage(" null")}}},
		"reasoning details": {Choices: []ChunkChoice{{Delta: Delta{ReasoningDetails: []ReasoningDetail{{Type: ReasoningDetailText}}}}}},
	}
	for name, c := range chunks {
		if b, ok := c.AppendJSON([]byte("x")); ok || string(b) != "x" {
			t.Errorf("chunk with %s: got %q, %v; want dst unchanged and false", name, b, ok)
		}
	}
	responses := map[string]*ChatCompletionResponse{
		"raw":               {Raw: []byte(`{}`)},
		"trace":             {BedrockTrace: raw},
		"sources":           {Sources: raw},
		"logprobs":          {Choices: []Choice{{Logprobs: raw}}},
		"spaced null":       {Choices: []Choice{{Logprobs: json.RawMessage("null ")}}},
		"annotations":       {Choices: []Choice{{Message: ResponseMessage{Annotations: []any{1}}}}},
		"reasoning details": {Choices: []Choice{{Message: ResponseMessage{ReasoningDetails: []ReasoningDetail{{Type: ReasoningDetailText}}}}}},
	}
	for name, resp := range responses {
		if b, ok := resp.AppendJSON(nil); ok || b != nil {
			t.Errorf("response with %s: got %q, %v; want false", name, b, ok)
		}
	}
}

// TestAppendString checks every byte and the runes encoding/json escapes.
func TestAppendString(t *testing.T) {
	var all []string
	for c := range 256 {
		all = append(all, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"b")
	}
	all = append(all, "\u2028x\u2029", "😀", "\xed\xa0\x80", "\xf0\x9f\x98", "plain text, nothing to escape")
	for _, s := range all {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func BenchmarkAppendJSONChunk(b *testing.B) {
	content := "Hello"
	c := &ChatCompletionChunk{
		ID: "chatcmpl-1234567890", Object: ObjectChatCompletionChunk, Created: 1764720000, Model: "anthropic.claude-3-haiku",
		Choices: []ChunkChoice{{Delta: Delta{Content: &content}}},
	}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf, _ = c.AppendJSON(buf[:0])
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(c)
		}
	})
}
