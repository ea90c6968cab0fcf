package openai

import (
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// AppendJSON appends the chunk as json.Marshal writes it, without
// reflection, and reports false (dst unchanged) for what it leaves to
// json.Marshal: a relayed Raw chunk, the extension members
// (amazon_bedrock_trace, sources), logprobs other than null, and
// reasoning details. A translating provider's stream chunks are written
// this way, one per event; TestAppendJSON compares the two on random
// chunks.
func (c *ChatCompletionChunk) AppendJSON(dst []byte) ([]byte, bool) {
	if c.Raw != nil || len(c.BedrockTrace) > 0 || len(c.Sources) > 0 {
		return dst, false
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if !emptyOrNull(ch.Logprobs) || len(ch.Delta.ReasoningDetails) > 0 {
			return dst, false
		}
	}
	b := appendHead(dst, c.ID, c.Object, c.Created, c.Model)
	b = appendTier(b, c.SystemFingerprint, c.ServiceTier)
	b = append(b, `,"choices":`...)
	b = appendArray(b, c.Choices)
	b = appendUsage(b, c.Usage)
	return append(b, '}'), true
}

// AppendJSON appends the response as json.Marshal writes it, and reports
// false (dst unchanged) for what it leaves to json.Marshal: a relayed Raw
// response, the extension members, logprobs other than null, annotations
// and reasoning details.
func (r *ChatCompletionResponse) AppendJSON(dst []byte) ([]byte, bool) {
	if r.Raw != nil || len(r.BedrockTrace) > 0 || len(r.Sources) > 0 {
		return dst, false
	}
	for i := range r.Choices {
		ch := &r.Choices[i]
		if !emptyOrNull(ch.Logprobs) || len(ch.Message.Annotations) > 0 || len(ch.Message.ReasoningDetails) > 0 {
			return dst, false
		}
	}
	b := appendHead(dst, r.ID, r.Object, r.Created, r.Model)
	b = append(b, `,"choices":`...)
	b = appendArray(b, r.Choices)
	b = appendUsage(b, r.Usage)
	b = appendTier(b, r.SystemFingerprint, r.ServiceTier)
	return append(b, '}'), true
}

// appendJSON writes the choice; Logprobs is empty or null (AppendJSON
// checked), which encoding/json writes as null either way.
func (ch *Choice) appendJSON(b []byte) []byte {
	m := &ch.Message
	b = appendKey(b, '{', "index")
	b = strconv.AppendInt(b, int64(ch.Index), 10)
	b = appendKey(b, ',', "message")
	b = appendKey(b, '{', "role")
	b = appendString(b, m.Role)
	b = appendKey(b, ',', "content")
	b = appendNullable(b, m.Content)
	b = appendKey(b, ',', "refusal")
	b = appendNullable(b, m.Refusal)
	if len(m.ToolCalls) > 0 {
		b = appendKey(b, ',', "tool_calls")
		b = appendArray(b, m.ToolCalls)
	}
	if m.ReasoningContent != nil {
		b = appendKey(b, ',', "reasoning_content")
		b = appendString(b, *m.ReasoningContent)
	}
	b = append(b, '}')
	b = appendKey(b, ',', "finish_reason")
	b = appendString(b, ch.FinishReason)
	return append(b, `,"logprobs":null}`...)
}

// emptyOrNull reports whether raw logprobs are absent or exactly the JSON
// null, the two AppendJSON writes itself: a translating provider sets
// null in every chunk, as OpenAI sends it.
func emptyOrNull(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }

// appendHead writes {"id":…,"object":…,"created":…,"model":…, the
// members a response and a chunk begin with.
func appendHead(b []byte, id, object string, created int64, model string) []byte {
	b = appendKey(b, '{', "id")
	b = appendString(b, id)
	b = appendKey(b, ',', "object")
	b = appendString(b, object)
	b = appendKey(b, ',', "created")
	b = strconv.AppendInt(b, created, 10)
	b = appendKey(b, ',', "model")
	return appendString(b, model)
}

// appendTier writes the optional system_fingerprint and service_tier.
func appendTier(b []byte, fingerprint *string, tier string) []byte {
	if fingerprint != nil {
		b = appendKey(b, ',', "system_fingerprint")
		b = appendString(b, *fingerprint)
	}
	if tier != "" {
		b = appendKey(b, ',', "service_tier")
		b = appendString(b, tier)
	}
	return b
}

// appendUsage writes the optional usage.
func appendUsage(b []byte, u *Usage) []byte {
	if u == nil {
		return b
	}
	b = appendKey(b, ',', "usage")
	return u.appendJSON(b)
}

// appender is an element type with a JSON writer of its own.
type appender[T any] interface {
	*T
	appendJSON(b []byte) []byte
}

// appendArray writes xs as an array, or null when it is nil.
func appendArray[T any, P appender[T]](b []byte, xs []T) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = P(&xs[i]).appendJSON(b)
	}
	return append(b, ']')
}

func (ch *ChunkChoice) appendJSON(b []byte) []byte {
	b = appendKey(b, '{', "index")
	b = strconv.AppendInt(b, int64(ch.Index), 10)
	b = appendKey(b, ',', "delta")
	b = ch.Delta.appendJSON(b)
	if len(ch.Logprobs) > 0 { // null (AppendJSON checked); empty is omitted
		b = append(b, `,"logprobs":null`...)
	}
	b = appendKey(b, ',', "finish_reason")
	b = appendNullable(b, ch.FinishReason)
	return append(b, '}')
}

// appendJSON writes the delta as its MarshalJSON does; ReasoningDetails
// is empty (AppendJSON checked).
func (d *Delta) appendJSON(b []byte) []byte {
	sep := byte('{')
	if d.Role != "" {
		b = appendKey(b, sep, "role")
		b = appendString(b, d.Role)
		sep = ','
	}
	if d.Content != nil || d.NullContent {
		b = appendKey(b, sep, "content")
		b = appendNullable(b, d.Content)
		sep = ','
	}
	if d.Refusal != nil || d.NullRefusal {
		b = appendKey(b, sep, "refusal")
		b = appendNullable(b, d.Refusal)
		sep = ','
	}
	if len(d.ToolCalls) > 0 {
		b = appendKey(b, sep, "tool_calls")
		b = appendArray(b, d.ToolCalls)
		sep = ','
	}
	if d.ReasoningContent != nil {
		b = appendKey(b, sep, "reasoning_content")
		b = appendString(b, *d.ReasoningContent)
		sep = ','
	}
	if sep == '{' {
		return append(b, "{}"...)
	}
	return append(b, '}')
}

func (t *ToolCall) appendJSON(b []byte) []byte {
	sep := byte('{')
	if t.Index != nil {
		b = appendKey(b, sep, "index")
		b = strconv.AppendInt(b, int64(*t.Index), 10)
		sep = ','
	}
	if t.ID != "" {
		b = appendKey(b, sep, "id")
		b = appendString(b, t.ID)
		sep = ','
	}
	if t.Type != "" {
		b = appendKey(b, sep, "type")
		b = appendString(b, t.Type)
		sep = ','
	}
	b = appendKey(b, sep, "function")
	sep = '{'
	if t.Function.Name != "" {
		b = appendKey(b, sep, "name")
		b = appendString(b, t.Function.Name)
		sep = ','
	}
	b = appendKey(b, sep, "arguments")
	b = appendString(b, t.Function.Arguments)
	return append(b, "}}"...)
}

func (u *Usage) appendJSON(b []byte) []byte {
	b = appendKey(b, '{', "prompt_tokens")
	b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
	b = appendKey(b, ',', "completion_tokens")
	b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
	b = appendKey(b, ',', "total_tokens")
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	if p := u.PromptTokensDetails; p != nil {
		b = appendKey(b, ',', "prompt_tokens_details")
		b = appendKey(b, '{', "cached_tokens")
		b = strconv.AppendInt(b, int64(p.CachedTokens), 10)
		b = appendCount(b, "audio_tokens", p.AudioTokens)
		b = appendCount(b, "cache_write_tokens", p.CacheWriteTokens)
		b = append(b, '}')
	}
	if c := u.CompletionTokensDetails; c != nil {
		b = appendKey(b, ',', "completion_tokens_details")
		b = appendKey(b, '{', "reasoning_tokens")
		b = strconv.AppendInt(b, int64(c.ReasoningTokens), 10)
		b = appendCount(b, "audio_tokens", c.AudioTokens)
		b = appendCount(b, "accepted_prediction_tokens", c.AcceptedPredictionTokens)
		b = appendCount(b, "rejected_prediction_tokens", c.RejectedPredictionTokens)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendCount writes ,"key":n unless n is 0 (omitempty).
func appendCount(b []byte, key string, n int) []byte {
	if n == 0 {
		return b
	}
	b = appendKey(b, ',', key)
	return strconv.AppendInt(b, int64(n), 10)
}

// appendKey writes sep"key": for a key that needs no escaping.
func appendKey(b []byte, sep byte, key string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendNullable writes *s, or null when s is nil.
func appendNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendString writes s as a JSON string exactly as encoding/json does
// (jsonx.AppendString).
func appendString(b []byte, s string) []byte { return jsonx.AppendString(b, s) }
