package openai

import (
	"fmt"
	"strconv"
)

// MaxTokensCap is the largest max_tokens or max_completion_tokens Outcrop
// forwards. No model generates anywhere near this many tokens in one answer;
// a larger value is a client bug, and rejecting it here keeps cost estimates
// (which reserve max_tokens) meaningful.
const MaxTokensCap = 1 << 20

// MaxChoices is the largest `n` accepted, as OpenAI documents it.
const MaxChoices = 128

// Validate checks a chat completion request against the spec's constraints
// and returns the first problem as a 400 naming the field.
func (r *ChatCompletionRequest) Validate() error {
	if r.Model == "" {
		return Errorf("model", "you must provide a model parameter")
	}
	if len(r.Messages) == 0 {
		return Errorf("messages", "'messages' must contain at least one message.")
	}
	for i := range r.Messages {
		if err := r.Messages[i].validate(path{name: "messages", i: i}); err != nil {
			return err
		}
	}
	if err := validateSampling(r.Temperature, r.TopP, r.PresencePenalty, r.FrequencyPenalty); err != nil {
		return err
	}
	if err := validateMaxTokens("max_tokens", r.MaxTokens, 1); err != nil {
		return err
	}
	if err := validateMaxTokens("max_completion_tokens", r.MaxCompletionTokens, 1); err != nil {
		return err
	}
	if err := validateN(r.N); err != nil {
		return err
	}
	if err := validateStop(r.Stop); err != nil {
		return err
	}
	if r.StreamOptions != nil && !r.Stream {
		return Errorf("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	if r.TopLogprobs != nil && (*r.TopLogprobs < 0 || *r.TopLogprobs > 20) {
		return Errorf("top_logprobs", "Invalid 'top_logprobs': integer must be between 0 and 20, got %d.", *r.TopLogprobs)
	}
	for i, t := range r.Tools {
		p := path{name: "tools", i: i}
		switch t.Type {
		case "function":
			if t.Function == nil || t.Function.Name == "" {
				return Errorf(p.String()+".function.name", "Missing required parameter: '%s.function.name'.", p)
			}
		case "custom":
		case "":
			return Errorf(p.String()+".type", "Missing required parameter: '%s.type'.", p)
		default:
			return Errorf(p.String()+".type", "Invalid value: '%s'. Supported values are: 'function' and 'custom'.", t.Type)
		}
	}
	if c := r.ToolChoice; c != nil {
		switch c.Mode {
		case "", "none", "auto", "required":
		default:
			return Errorf("tool_choice", "Invalid value: '%s'. Supported values are: 'none', 'auto' and 'required'.", c.Mode)
		}
		if c.Mode == "" && c.Type == "function" && (c.Function == nil || c.Function.Name == "") {
			return Errorf("tool_choice.function.name", "Missing required parameter: 'tool_choice.function.name'.")
		}
	}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "text", "json_object", "json_schema":
		default:
			return Errorf("response_format.type", "Invalid value: '%s'. Supported values are: 'text', 'json_object' and 'json_schema'.", f.Type)
		}
	}
	return nil
}

// path is the parameter path of an element, name[i] or name[i]sub[j].
// It is spelt out only when an error names it, not for every element of
// every request.
type path struct {
	name string
	i    int
	sub  string // "": the path is name[i]
	j    int
}

func (p path) String() string {
	s := p.name + "[" + strconv.Itoa(p.i) + "]"
	if p.sub != "" {
		s += p.sub + "[" + strconv.Itoa(p.j) + "]"
	}
	return s
}

func (m *Message) validate(p path) error {
	switch m.Role {
	case RoleSystem, RoleDeveloper, RoleUser:
		if m.Content.Kind == ContentNull {
			return Errorf(p.String()+".content", "Missing required parameter: '%s.content'.", p)
		}
	case RoleAssistant:
		if m.Content.Kind == ContentNull && len(m.ToolCalls) == 0 && m.Refusal == nil {
			return Errorf(p.String()+".content", "Invalid '%s': an assistant message needs 'content' or 'tool_calls'.", p)
		}
		for j, tc := range m.ToolCalls {
			if tc.ID == "" {
				return Errorf(fmt.Sprintf("%s.tool_calls[%d].id", p, j), "Missing required parameter: '%s.tool_calls[%d].id'.", p, j)
			}
		}
	case RoleTool:
		if m.ToolCallID == "" {
			return Errorf(p.String()+".tool_call_id", "Missing required parameter: '%s.tool_call_id'.", p)
		}
	case RoleFunction:
		if m.Name == "" {
			return Errorf(p.String()+".name", "Missing required parameter: '%s.name'.", p)
		}
	case "":
		return Errorf(p.String()+".role", "Missing required parameter: '%s.role'.", p)
	default:
		return Errorf(p.String()+".role", "Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", m.Role)
	}
	if m.Content.Kind == ContentParts {
		for j, part := range m.Content.Parts {
			if err := part.validate(path{name: p.name, i: p.i, sub: ".content", j: j}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *ContentPart) validate(p path) error {
	switch c.Type {
	case "text":
	case "image_url":
		if c.ImageURL == nil || c.ImageURL.URL == "" {
			return Errorf(p.String()+".image_url.url", "Missing required parameter: '%s.image_url.url'.", p)
		}
	case "input_audio":
		if c.InputAudio == nil {
			return Errorf(p.String()+".input_audio", "Missing required parameter: '%s.input_audio'.", p)
		}
	case "file":
		if c.File == nil {
			return Errorf(p.String()+".file", "Missing required parameter: '%s.file'.", p)
		}
	case "refusal":
	case "":
		return Errorf(p.String()+".type", "Missing required parameter: '%s.type'.", p)
	default:
		return Errorf(p.String()+".type", "Invalid value: '%s'. Supported values are: 'text', 'image_url', 'input_audio', 'file' and 'refusal'.", c.Type)
	}
	return nil
}

func validateSampling(temperature, topP, presence, frequency *float64) error {
	if v := temperature; v != nil && (*v < 0 || *v > 2) {
		return Errorf("temperature", "Invalid 'temperature': decimal must be between 0 and 2, got %g.", *v)
	}
	if v := topP; v != nil && (*v < 0 || *v > 1) {
		return Errorf("top_p", "Invalid 'top_p': decimal must be between 0 and 1, got %g.", *v)
	}
	if v := presence; v != nil && (*v < -2 || *v > 2) {
		return Errorf("presence_penalty", "Invalid 'presence_penalty': decimal must be between -2 and 2, got %g.", *v)
	}
	if v := frequency; v != nil && (*v < -2 || *v > 2) {
		return Errorf("frequency_penalty", "Invalid 'frequency_penalty': decimal must be between -2 and 2, got %g.", *v)
	}
	return nil
}

func validateMaxTokens(field string, v *int, least int) error {
	if v == nil {
		return nil
	}
	if *v < least {
		return Errorf(field, "Invalid '%s': integer below minimum value. Expected a value >= %d, but got %d instead.", field, least, *v)
	}
	if *v > MaxTokensCap {
		return Errorf(field, "Invalid '%s': %d is too large; the largest value accepted is %d.", field, *v, MaxTokensCap)
	}
	return nil
}

func validateN(n *int) error {
	if n != nil && (*n < 1 || *n > MaxChoices) {
		return Errorf("n", "Invalid 'n': integer must be between 1 and %d, got %d.", MaxChoices, *n)
	}
	return nil
}

func validateStop(s *Stop) error {
	if s != nil && len(s.Values) > 4 {
		return Errorf("stop", "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length %d instead.", len(s.Values))
	}
	return nil
}

// Validate checks a legacy completion request.
func (r *CompletionRequest) Validate() error {
	if r.Model == "" {
		return Errorf("model", "you must provide a model parameter")
	}
	if !r.Prompt.Set {
		return Errorf("prompt", "Missing required parameter: 'prompt'.")
	}
	if err := validateSampling(r.Temperature, r.TopP, r.PresencePenalty, r.FrequencyPenalty); err != nil {
		return err
	}
	// The legacy API takes max_tokens 0 (minimum 0 in the spec): with echo
	// it scores a prompt without generating.
	if err := validateMaxTokens("max_tokens", r.MaxTokens, 0); err != nil {
		return err
	}
	if err := validateN(r.N); err != nil {
		return err
	}
	if err := validateStop(r.Stop); err != nil {
		return err
	}
	if r.StreamOptions != nil && !r.Stream {
		return Errorf("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	return nil
}

// MaxEmbeddingInputs is the largest number of inputs in one embeddings
// request, per the spec.
const MaxEmbeddingInputs = 2048

// Validate checks an embeddings request.
func (r *EmbeddingRequest) Validate() error {
	if r.Model == "" {
		return Errorf("model", "you must provide a model parameter")
	}
	if !r.Input.Set {
		return Errorf("input", "Missing required parameter: 'input'.")
	}
	if r.Input.Count == 0 {
		return Errorf("input", "'input' must not be empty.")
	}
	if r.Input.Count > MaxEmbeddingInputs {
		return Errorf("input", "Invalid 'input': array too long. Expected an array with maximum length %d, but got %d.", MaxEmbeddingInputs, r.Input.Count)
	}
	for i, s := range r.Input.Strings {
		if s == "" {
			return Errorf("input", "Invalid 'input[%d]': string must not be empty.", i)
		}
	}
	switch r.EncodingFormat {
	case "", "float", "base64":
	default:
		return Errorf("encoding_format", "Invalid value: '%s'. Supported values are: 'float' and 'base64'.", r.EncodingFormat)
	}
	if r.Dimensions != nil && *r.Dimensions < 1 {
		return Errorf("dimensions", "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got %d instead.", *r.Dimensions)
	}
	return nil
}
