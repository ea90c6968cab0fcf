package openai

import (
	"encoding/json"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// ChatCompletionResponse is the body of a non-streaming chat completion.
type ChatCompletionResponse struct {
	ID                string   `json:"id"`
	Object            string   `json:"object"`
	Created           int64    `json:"created"`
	Model             string   `json:"model"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`
	SystemFingerprint *string  `json:"system_fingerprint,omitempty"`
	ServiceTier       string   `json:"service_tier,omitempty"`
	// BedrockTrace is an extension: Bedrock's trace object (guardrail
	// assessments) as Bedrock sent it, when the request asked for one.
	BedrockTrace json.RawMessage `json:"amazon_bedrock_trace,omitempty"`
	// Sources is an extension: the passages a retrieval model put into the
	// prompt (see retrieval.Hit).
	Sources json.RawMessage `json:"sources,omitempty"`

	// Raw, when set, is the response exactly as an OpenAI-compatible
	// upstream sent it; it is written to the client instead of the typed
	// fields, of which only Usage is then filled.
	Raw []byte `json:"-"`
}

// Choice is one element of a response's `choices`.
type Choice struct {
	Index        int             `json:"index"`
	Message      ResponseMessage `json:"message"`
	FinishReason string          `json:"finish_reason"`
	Logprobs     json.RawMessage `json:"logprobs"`
}

// ResponseMessage is the assistant message of a choice.
type ResponseMessage struct {
	Role             string     `json:"role"`
	Content          *string    `json:"content"`
	Refusal          *string    `json:"refusal"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ReasoningContent *string    `json:"reasoning_content,omitempty"`
	Annotations      []any      `json:"annotations,omitempty"`
	// ReasoningDetails is the reasoning the client must send back with
	// this message for the conversation to continue (see ReasoningDetail).
	ReasoningDetails []ReasoningDetail `json:"reasoning_details,omitempty"`
}

// Finish reasons.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
)

// Usage is token accounting for one request.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// PromptTokensDetails breaks down prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens,omitempty"`
	// CacheWriteTokens is not in OpenAI's spec; it reports Bedrock and
	// Anthropic prompt-cache writes, which are billed differently.
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
}

// CompletionTokensDetails breaks down completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens"`
	AudioTokens              int `json:"audio_tokens,omitempty"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens,omitempty"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens,omitempty"`
}

// ChatCompletionChunk is one event of a streamed chat completion.
type ChatCompletionChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint *string       `json:"system_fingerprint,omitempty"`
	ServiceTier       string        `json:"service_tier,omitempty"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage,omitempty"`
	// BedrockTrace is an extension: Bedrock's trace object, on the usage
	// chunk of a stream whose request asked for one.
	BedrockTrace json.RawMessage `json:"amazon_bedrock_trace,omitempty"`
	// Sources is an extension: a retrieval model's passages, on the chunk
	// that carries the finish reason.
	Sources json.RawMessage `json:"sources,omitempty"`

	// Raw, when set, is the chunk's JSON exactly as an OpenAI-compatible
	// upstream sent it. Only Usage is then decoded from it; Choices stays
	// nil. See UsageOnly.
	Raw []byte `json:"-"`
}

// UsageOnly reports whether the chunk is the trailing usage chunk (empty
// choices, usage set), which is written only when the client asked for it.
// An Azure chunk with empty choices but no usage (prompt filter results) is
// not.
func (c *ChatCompletionChunk) UsageOnly() bool {
	if c.Usage == nil {
		return false
	}
	if c.Raw == nil {
		return len(c.Choices) == 0
	}
	m, ok, err := jsonx.Find(c.Raw, "choices")
	if err != nil || !ok {
		return true
	}
	for _, b := range m.Value(c.Raw) {
		switch b {
		case '[', ' ', '\t', '\r', '\n':
			continue
		case ']':
			return true
		}
		return false
	}
	return false
}

// ChunkChoice is one element of a chunk's `choices`.
type ChunkChoice struct {
	Index        int             `json:"index"`
	Delta        Delta           `json:"delta"`
	Logprobs     json.RawMessage `json:"logprobs,omitempty"`
	FinishReason *string         `json:"finish_reason"`
}

// Delta is the incremental message in a chunk.
type Delta struct {
	Role             string     `json:"role,omitempty"`
	Content          *string    `json:"content,omitempty"`
	Refusal          *string    `json:"refusal,omitempty"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
	ReasoningContent *string    `json:"reasoning_content,omitempty"`
	// ReasoningDetails, when set, is complete (not a fragment): it is sent
	// once, in the choice's finish chunk.
	ReasoningDetails []ReasoningDetail `json:"reasoning_details,omitempty"`

	// NullContent and NullRefusal write `"content":null` and
	// `"refusal":null` when the pointer is nil, as OpenAI's first chunk
	// (`{"role":"assistant","content":"","refusal":null}`) and its tool-call
	// chunks (`"content":null`) have them.
	NullContent bool `json:"-"`
	NullRefusal bool `json:"-"`
}

var jsonNull = json.RawMessage("null")

// MarshalJSON writes the delta, with explicit nulls where asked.
func (d Delta) MarshalJSON() ([]byte, error) {
	out := struct {
		Role             string            `json:"role,omitempty"`
		Content          json.RawMessage   `json:"content,omitempty"`
		Refusal          json.RawMessage   `json:"refusal,omitempty"`
		ToolCalls        []ToolCall        `json:"tool_calls,omitempty"`
		ReasoningContent *string           `json:"reasoning_content,omitempty"`
		ReasoningDetails []ReasoningDetail `json:"reasoning_details,omitempty"`
	}{Role: d.Role, ToolCalls: d.ToolCalls, ReasoningContent: d.ReasoningContent, ReasoningDetails: d.ReasoningDetails}
	var err error
	if out.Content, err = nullableString(d.Content, d.NullContent); err != nil {
		return nil, err
	}
	if out.Refusal, err = nullableString(d.Refusal, d.NullRefusal); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func nullableString(s *string, null bool) (json.RawMessage, error) {
	switch {
	case s != nil:
		return json.Marshal(*s)
	case null:
		return jsonNull, nil
	}
	return nil, nil
}

// Object names used in responses.
const (
	ObjectChatCompletion      = "chat.completion"
	ObjectChatCompletionChunk = "chat.completion.chunk"
	ObjectTextCompletion      = "text_completion"
	ObjectEmbedding           = "embedding"
	ObjectList                = "list"
	ObjectModel               = "model"
)
