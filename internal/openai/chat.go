// Package openai holds the OpenAI API wire types: requests, responses, stream
// chunks and the error envelope. It is Outcrop's one hub schema: every
// provider translates to and from these types, and there is no second
// canonical model.
//
// Field names and shapes follow the OpenAI OpenAPI spec
// (shared/spec/openai-openapi.yaml) as the official SDKs parse it. Types that
// the relay path forwards untouched carry the original bytes in a Raw field,
// so fields Outcrop does not model are never lost.
package openai

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// ChatCompletionRequest is the body of POST /v1/chat/completions.
// Only the fields Outcrop reads or translates are modelled; the rest reach an
// OpenAI-compatible upstream through Raw.
type ChatCompletionRequest struct {
	Model               string            `json:"model"`
	Messages            []Message         `json:"messages"`
	Stream              bool              `json:"stream,omitempty"`
	StreamOptions       *StreamOptions    `json:"stream_options,omitempty"`
	MaxTokens           *int              `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int              `json:"max_completion_tokens,omitempty"`
	Temperature         *float64          `json:"temperature,omitempty"`
	TopP                *float64          `json:"top_p,omitempty"`
	N                   *int              `json:"n,omitempty"`
	Stop                *Stop             `json:"stop,omitempty"`
	PresencePenalty     *float64          `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64          `json:"frequency_penalty,omitempty"`
	Seed                *int64            `json:"seed,omitempty"`
	User                string            `json:"user,omitempty"`
	Tools               []Tool            `json:"tools,omitempty"`
	ToolChoice          *ToolChoice       `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool             `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      *ResponseFormat   `json:"response_format,omitempty"`
	ReasoningEffort     string            `json:"reasoning_effort,omitempty"`
	Logprobs            *bool             `json:"logprobs,omitempty"`
	TopLogprobs         *int              `json:"top_logprobs,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`

	// Raw is the request body as the client sent it, when the request came
	// from the wire. The relay path forwards it with only `model` (and
	// `stream_options`) rewritten.
	Raw []byte `json:"-"`
	// ClientModel is the model name the client asked for, set by the router
	// when it rewrites Model to a deployment's upstream model ID. A
	// translating provider answers with this name, as the client knows it.
	ClientModel string `json:"-"`
	// Operator is what the gateway attached to the request (the virtual
	// key's metadata and guardrail); never read from the body.
	Operator *Operator `json:"-"`
}

// IncludeUsage reports whether the client asked for the usage chunk at the
// end of a stream.
func (r *ChatCompletionRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// Operator is request settings that come from the gateway's operator,
// not the client: a virtual key's attribution metadata (Bedrock
// requestMetadata) and its Bedrock guardrail.
type Operator struct {
	Metadata         map[string]string
	GuardrailID      string
	GuardrailVersion string
}

// StreamOptions is `stream_options`.
type StreamOptions struct {
	IncludeUsage       bool  `json:"include_usage,omitempty"`
	IncludeObfuscation *bool `json:"include_obfuscation,omitempty"`
}

// Role names a message author.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
	RoleFunction  = "function"
)

// Message is one entry of `messages`, for any role.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Refusal    *string    `json:"refusal,omitempty"`
	// ReasoningContent is the gateway convention for reasoning text
	// (DeepSeek, vLLM); accepted on assistant turns sent back.
	ReasoningContent *string `json:"reasoning_content,omitempty"`
	// ReasoningDetails is the signed and redacted reasoning a translating
	// provider returned with an assistant message, sent back unchanged so
	// that it can be restored (see ReasoningDetail).
	ReasoningDetails []ReasoningDetail `json:"reasoning_details,omitempty"`
	// IsError marks a tool message as a failed call (`"is_error": true`,
	// Anthropic's name): an extension, since OpenAI tool messages carry no
	// error flag.
	IsError bool `json:"is_error,omitempty"`
}

// ReasoningDetail is one block of a model's reasoning in the shape that
// OpenRouter made common (`reasoning_details`): "reasoning.text" with the
// text and the signature that proves it, or "reasoning.encrypted" with
// redacted reasoning as opaque base64 Data. Providers that sign reasoning
// (Anthropic) need a tool-use turn's blocks back unchanged in the next
// request, so clients keep the list with the assistant message.
type ReasoningDetail struct {
	Type      string `json:"type"`
	Text      string `json:"text,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
	// Index is the block's position in the message's reasoning.
	Index *int `json:"index,omitempty"`
}

// Reasoning detail types.
const (
	ReasoningDetailText      = "reasoning.text"
	ReasoningDetailEncrypted = "reasoning.encrypted"
)

// Content is a message's `content`: a string, an array of content parts, or
// null. The zero value is null.
type Content struct {
	Text  string
	Parts []ContentPart
	// Kind records which of the three JSON forms was used.
	Kind ContentKind
}

// ContentKind says which JSON form a Content took.
type ContentKind uint8

// The forms of Content.
const (
	ContentNull ContentKind = iota
	ContentString
	ContentParts
)

// TextContent returns a string Content.
func TextContent(s string) Content { return Content{Text: s, Kind: ContentString} }

// String returns the text of the content: the string, or the text parts
// joined with no separator. Non-text parts are skipped.
func (c Content) String() string {
	if c.Kind != ContentParts {
		return c.Text
	}
	var b bytes.Buffer
	for _, p := range c.Parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// UnmarshalJSON accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("empty content")
	case bytes.Equal(b, []byte("null")):
		*c = Content{}
		return nil
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*c = Content{Text: s, Kind: ContentString}
		return nil
	case b[0] == '[':
		var parts []ContentPart
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		*c = Content{Parts: parts, Kind: ContentParts}
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: contentType}
}

// unquote reads the JSON string b with jsonx.Scanner, which decodes it
// as encoding/json does without a second decoder's pass; what it cannot
// read goes to json.Unmarshal, for its error.
func unquote(b []byte) (string, error) {
	sc := jsonx.Scanner{B: b}
	if s, ok := sc.String(); ok && sc.End() {
		return s, nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// MarshalJSON writes the form the content was read in.
func (c Content) MarshalJSON() ([]byte, error) {
	switch c.Kind {
	case ContentString:
		return json.Marshal(c.Text)
	case ContentParts:
		return json.Marshal(c.Parts)
	}
	return []byte("null"), nil
}

// ContentPart is one element of an array content: text, image_url,
// input_audio, file or refusal.
type ContentPart struct {
	Type       string      `json:"type"`
	Text       string      `json:"text,omitempty"`
	ImageURL   *ImageURL   `json:"image_url,omitempty"`
	InputAudio *InputAudio `json:"input_audio,omitempty"`
	File       *File       `json:"file,omitempty"`
	Refusal    string      `json:"refusal,omitempty"`
	// CacheControl is Anthropic's prompt-caching marker, accepted on parts.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// ImageURL is the `image_url` of an image part.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// InputAudio is the `input_audio` of an audio part.
type InputAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// File is the `file` of a file part.
type File struct {
	FileData string `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Stop is `stop`: one string or up to four.
type Stop struct {
	Values []string
}

// UnmarshalJSON accepts a string, an array of strings or null.
func (s *Stop) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		s.Values = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		v, err := unquote(b)
		if err != nil {
			return err
		}
		s.Values = []string{v}
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &s.Values)
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stopType}
}

// MarshalJSON writes an array of strings.
func (s Stop) MarshalJSON() ([]byte, error) { return json.Marshal(s.Values) }

// Tool is one entry of `tools`.
type Tool struct {
	Type     string       `json:"type"`
	Function *FunctionDef `json:"function,omitempty"`
	// CacheControl is Anthropic's prompt-caching marker, accepted on tools.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// FunctionDef describes a function tool.
type FunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolChoice is `tool_choice`: "none", "auto", "required", or an object
// naming a function.
type ToolChoice struct {
	Mode     string // none, auto or required; empty when Function is set
	Type     string
	Function *ToolChoiceFunction
}

// ToolChoiceFunction names the function a tool choice forces.
type ToolChoiceFunction struct {
	Name string `json:"name"`
}

// UnmarshalJSON accepts a mode string or an object.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.Mode)
	}
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			Type     string              `json:"type"`
			Function *ToolChoiceFunction `json:"function"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		t.Type, t.Function = o.Type, o.Function
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: toolChoiceType}
}

// MarshalJSON writes the mode string or the object.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.Mode != "" {
		return json.Marshal(t.Mode)
	}
	return json.Marshal(struct {
		Type     string              `json:"type"`
		Function *ToolChoiceFunction `json:"function,omitempty"`
	}{t.Type, t.Function})
}

// ResponseFormat is `response_format`.
type ResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// ToolCall is a call the assistant made, in a response or in history.
type ToolCall struct {
	// Index is set only in stream deltas.
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall is the function part of a tool call.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}
