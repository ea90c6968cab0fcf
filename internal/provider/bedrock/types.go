// Package bedrock serves OpenAI chat requests from Amazon Bedrock's
// Converse and ConverseStream APIs: pure translation between the two
// schemas (request.go, response.go, stream.go), a transport that signs,
// sends and retries calls and decodes event streams (client.go and
// friends), and error mapping.
//
// The types in this file are Bedrock Runtime's JSON wire shapes
// (shared/docs/wire.md §1, shared/spec/aws-models/bedrock-runtime), written
// out by hand so that the hot path does not go through the SDK's
// serialisers. Unions are structs of pointers with exactly one member set.
package bedrock

import "encoding/json"

// ConverseRequest is the body of Converse and ConverseStream. The model ID
// goes in the URL path, not the body.
type ConverseRequest struct {
	Messages                          []Message          `json:"messages"`
	System                            []SystemBlock      `json:"system,omitempty"`
	InferenceConfig                   *InferenceConfig   `json:"inferenceConfig,omitempty"`
	ToolConfig                        *ToolConfig        `json:"toolConfig,omitempty"`
	GuardrailConfig                   *GuardrailConfig   `json:"guardrailConfig,omitempty"`
	AdditionalModelRequestFields      json.RawMessage    `json:"additionalModelRequestFields,omitempty"`
	AdditionalModelResponseFieldPaths []string           `json:"additionalModelResponseFieldPaths,omitempty"`
	RequestMetadata                   map[string]string  `json:"requestMetadata,omitempty"`
	PerformanceConfig                 *PerformanceConfig `json:"performanceConfig,omitempty"`
	ServiceTier                       *ServiceTier       `json:"serviceTier,omitempty"`
	OutputConfig                      json.RawMessage    `json:"outputConfig,omitempty"`
}

// Bedrock conversation roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one conversation turn.
type Message struct {
	Role    string         `json:"role"`
	Content []ContentBlock `json:"content"`
}

// SystemBlock is one element of `system`: text, a guard block or a cache
// point.
type SystemBlock struct {
	Text         *string         `json:"text,omitempty"`
	GuardContent json.RawMessage `json:"guardContent,omitempty"`
	CachePoint   *CachePoint     `json:"cachePoint,omitempty"`
}

// ContentBlock is a union: exactly one member is set.
type ContentBlock struct {
	Text             *string          `json:"text,omitempty"`
	Image            *ImageBlock      `json:"image,omitempty"`
	Document         *DocumentBlock   `json:"document,omitempty"`
	ToolUse          *ToolUseBlock    `json:"toolUse,omitempty"`
	ToolResult       *ToolResultBlock `json:"toolResult,omitempty"`
	ReasoningContent *ReasoningBlock  `json:"reasoningContent,omitempty"`
	CachePoint       *CachePoint      `json:"cachePoint,omitempty"`
	GuardContent     json.RawMessage  `json:"guardContent,omitempty"`
	CitationsContent json.RawMessage  `json:"citationsContent,omitempty"`
}

// ImageBlock is an image in a message. Format is png, jpeg, gif or webp.
type ImageBlock struct {
	Format string      `json:"format"`
	Source ImageSource `json:"source"`
}

// ImageSource holds the image bytes (base64 in JSON) or an S3 location.
type ImageSource struct {
	Bytes      []byte          `json:"bytes,omitempty"`
	S3Location json.RawMessage `json:"s3Location,omitempty"`
}

// DocumentBlock is a document in a message.
type DocumentBlock struct {
	Format string         `json:"format"`
	Name   string         `json:"name"`
	Source DocumentSource `json:"source"`
}

// DocumentSource holds the document bytes (base64 in JSON) or its text.
type DocumentSource struct {
	Bytes []byte  `json:"bytes,omitempty"`
	Text  *string `json:"text,omitempty"`
}

// ToolUseBlock is a tool call the assistant made.
type ToolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

// ToolResultBlock is the result of a tool call, sent in a user turn.
type ToolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []ToolResultContent `json:"content"`
	Status    string              `json:"status,omitempty"` // success or error
}

// ToolResultContent is a union: text, json, image or document.
type ToolResultContent struct {
	Text     *string         `json:"text,omitempty"`
	JSON     json.RawMessage `json:"json,omitempty"`
	Image    *ImageBlock     `json:"image,omitempty"`
	Document *DocumentBlock  `json:"document,omitempty"`
}

// ReasoningBlock is the model's reasoning: text with its signature, or
// redacted (encrypted) content. Both must be sent back unchanged.
type ReasoningBlock struct {
	ReasoningText   *ReasoningText `json:"reasoningText,omitempty"`
	RedactedContent []byte         `json:"redactedContent,omitempty"`
}

// ReasoningText is reasoning in clear with its signature.
type ReasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

// CachePoint marks the end of a cacheable prefix.
type CachePoint struct {
	Type string `json:"type"` // "default"
	TTL  string `json:"ttl,omitempty"`
}

// InferenceConfig is `inferenceConfig`. Temperature and TopP are 0..1.
type InferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

// ToolConfig is `toolConfig`.
type ToolConfig struct {
	Tools      []Tool      `json:"tools"`
	ToolChoice *ToolChoice `json:"toolChoice,omitempty"`
}

// Tool is a union: a tool spec or a cache point.
type Tool struct {
	ToolSpec   *ToolSpec   `json:"toolSpec,omitempty"`
	CachePoint *CachePoint `json:"cachePoint,omitempty"`
}

// ToolSpec describes a function the model may call.
type ToolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema InputSchema `json:"inputSchema"`
}

// InputSchema wraps a tool's JSON schema.
type InputSchema struct {
	JSON json.RawMessage `json:"json"`
}

// ToolChoice is a union: auto, any or a named tool.
type ToolChoice struct {
	Auto *struct{}       `json:"auto,omitempty"`
	Any  *struct{}       `json:"any,omitempty"`
	Tool *ToolChoiceTool `json:"tool,omitempty"`
}

// ToolChoiceTool names the tool a choice forces.
type ToolChoiceTool struct {
	Name string `json:"name"`
}

// GuardrailConfig applies a guardrail.
type GuardrailConfig struct {
	GuardrailIdentifier  string `json:"guardrailIdentifier"`
	GuardrailVersion     string `json:"guardrailVersion"`
	Trace                string `json:"trace,omitempty"`
	StreamProcessingMode string `json:"streamProcessingMode,omitempty"`
}

// PerformanceConfig is `performanceConfig`.
type PerformanceConfig struct {
	Latency string `json:"latency"`
}

// ServiceTier is `serviceTier`.
type ServiceTier struct {
	Type string `json:"type"`
}

// ConverseResponse is the body of a Converse answer.
type ConverseResponse struct {
	Output struct {
		Message *Message `json:"message"`
	} `json:"output"`
	StopReason                    string          `json:"stopReason"`
	Usage                         TokenUsage      `json:"usage"`
	Metrics                       Metrics         `json:"metrics"`
	AdditionalModelResponseFields json.RawMessage `json:"additionalModelResponseFields,omitempty"`
	Trace                         json.RawMessage `json:"trace,omitempty"`
}

// Stop reasons.
const (
	StopEndTurn             = "end_turn"
	StopToolUse             = "tool_use"
	StopMaxTokens           = "max_tokens"
	StopSequence            = "stop_sequence"
	StopGuardrailIntervened = "guardrail_intervened"
	StopContentFiltered     = "content_filtered"
)

// TokenUsage is Bedrock's token accounting.
type TokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens,omitempty"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens,omitempty"`
}

// Metrics is `metrics`.
type Metrics struct {
	LatencyMs int64 `json:"latencyMs"`
}

// ConverseStream event types: the `:event-type` header of each frame.
const (
	EventMessageStart      = "messageStart"
	EventContentBlockStart = "contentBlockStart"
	EventContentBlockDelta = "contentBlockDelta"
	EventContentBlockStop  = "contentBlockStop"
	EventMessageStop       = "messageStop"
	EventMetadata          = "metadata"
)

// Event is one decoded ConverseStream event: its type and JSON payload.
// Exceptions never arrive as Events; the transport returns them as errors.
type Event struct {
	Type    string
	Payload []byte
}

// MessageStartEvent is the payload of messageStart.
type MessageStartEvent struct {
	Role string `json:"role"`
}

// ContentBlockStartEvent is the payload of contentBlockStart. Text blocks
// usually have none: their first delta opens them.
type ContentBlockStartEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             struct {
		ToolUse *ToolUseStart `json:"toolUse,omitempty"`
	} `json:"start"`
}

// ToolUseStart opens a tool call.
type ToolUseStart struct {
	ToolUseID string `json:"toolUseId"`
	Name      string `json:"name"`
}

// ContentBlockDeltaEvent is the payload of contentBlockDelta.
type ContentBlockDeltaEvent struct {
	ContentBlockIndex int          `json:"contentBlockIndex"`
	Delta             ContentDelta `json:"delta"`
}

// ContentDelta is a union of the incremental content kinds.
type ContentDelta struct {
	Text             *string         `json:"text,omitempty"`
	ToolUse          *ToolUseDelta   `json:"toolUse,omitempty"`
	ReasoningContent *ReasoningDelta `json:"reasoningContent,omitempty"`
	Citation         json.RawMessage `json:"citation,omitempty"`
}

// ToolUseDelta is a fragment of a tool call's JSON input.
type ToolUseDelta struct {
	Input string `json:"input"`
}

// ReasoningDelta is a fragment of reasoning: text, a signature or redacted
// content.
type ReasoningDelta struct {
	Text            *string `json:"text,omitempty"`
	Signature       *string `json:"signature,omitempty"`
	RedactedContent []byte  `json:"redactedContent,omitempty"`
}

// ContentBlockStopEvent is the payload of contentBlockStop.
type ContentBlockStopEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
}

// MessageStopEvent is the payload of messageStop.
type MessageStopEvent struct {
	StopReason                    string          `json:"stopReason"`
	AdditionalModelResponseFields json.RawMessage `json:"additionalModelResponseFields,omitempty"`
}

// MetadataEvent is the payload of metadata, the last event: usage arrives
// only here.
type MetadataEvent struct {
	Usage   TokenUsage      `json:"usage"`
	Metrics Metrics         `json:"metrics"`
	Trace   json.RawMessage `json:"trace,omitempty"`
}
