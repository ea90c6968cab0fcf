package openai

import (
	"bytes"
	"encoding/json"
)

// CompletionRequest is the body of the legacy POST /v1/completions.
type CompletionRequest struct {
	Model            string         `json:"model"`
	Prompt           Prompt         `json:"prompt"`
	MaxTokens        *int           `json:"max_tokens,omitempty"`
	Temperature      *float64       `json:"temperature,omitempty"`
	TopP             *float64       `json:"top_p,omitempty"`
	N                *int           `json:"n,omitempty"`
	Stream           bool           `json:"stream,omitempty"`
	StreamOptions    *StreamOptions `json:"stream_options,omitempty"`
	Stop             *Stop          `json:"stop,omitempty"`
	Suffix           *string        `json:"suffix,omitempty"`
	Echo             *bool          `json:"echo,omitempty"`
	Logprobs         *int           `json:"logprobs,omitempty"`
	BestOf           *int           `json:"best_of,omitempty"`
	PresencePenalty  *float64       `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64       `json:"frequency_penalty,omitempty"`
	Seed             *int64         `json:"seed,omitempty"`
	User             string         `json:"user,omitempty"`

	// Raw is the body as the client sent it; see ChatCompletionRequest.Raw.
	Raw []byte `json:"-"`
	// ClientModel is the model name the client asked for, set by the router
	// when it rewrites Model to a deployment's upstream model ID. A
	// translating provider answers with this name, as the client knows it.
	ClientModel string `json:"-"`
	// Operator is what the gateway attached (see ChatCompletionRequest).
	Operator *Operator `json:"-"`
}

// IncludeUsage reports whether the client asked for the usage chunk.
func (r *CompletionRequest) IncludeUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// Prompt is a legacy completion `prompt`: a string, strings, a token array
// or token arrays. Token prompts are kept as raw JSON, since only an
// OpenAI-compatible upstream can interpret them.
type Prompt struct {
	Strings []string
	Tokens  json.RawMessage
	Set     bool
}

// Text returns the prompt strings joined by newlines.
func (p Prompt) Text() string {
	var b bytes.Buffer
	for i, s := range p.Strings {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	return b.String()
}

// UnmarshalJSON accepts every prompt form of the spec.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*p = Prompt{Set: true}
	switch {
	case bytes.Equal(b, []byte("null")):
		p.Set = false
		return nil
	case len(b) > 0 && b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		p.Strings = []string{s}
		return nil
	case len(b) > 0 && b[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		if len(items) > 0 && bytes.TrimSpace(items[0])[0] != '"' {
			var ints []int64
			if err := json.Unmarshal(b, &ints); err != nil {
				var nested [][]int64
				if err := json.Unmarshal(b, &nested); err != nil {
					return &json.UnmarshalTypeError{Value: "array", Type: promptType}
				}
			}
			p.Tokens = append(json.RawMessage(nil), b...)
			return nil
		}
		return json.Unmarshal(b, &p.Strings)
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: promptType}
}

// MarshalJSON writes the prompt back in a form the spec accepts.
func (p Prompt) MarshalJSON() ([]byte, error) {
	if p.Tokens != nil {
		return p.Tokens, nil
	}
	if len(p.Strings) == 1 {
		return json.Marshal(p.Strings[0])
	}
	return json.Marshal(p.Strings)
}

// CompletionResponse is a legacy completion response, and also the shape of
// its stream chunks (object "text_completion" in both).
type CompletionResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	Choices           []CompletionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
	SystemFingerprint *string            `json:"system_fingerprint,omitempty"`

	// Raw is the upstream's bytes; see ChatCompletionResponse.Raw.
	Raw []byte `json:"-"`
}

// UsageOnly reports whether a stream chunk is the trailing usage chunk.
func (c *CompletionResponse) UsageOnly() bool {
	if c.Raw == nil {
		return c.Usage != nil && len(c.Choices) == 0
	}
	chunk := ChatCompletionChunk{Usage: c.Usage, Raw: c.Raw}
	return chunk.UsageOnly()
}

// CompletionChoice is one legacy completion choice.
type CompletionChoice struct {
	Text         string          `json:"text"`
	Index        int             `json:"index"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}
