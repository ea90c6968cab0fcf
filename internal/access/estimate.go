package access

import (
	"encoding/json"
	"math"

	"github.com/outcrop/outcrop/internal/openai"
)

// Token estimates, charged to token limits and priced for the worst-case
// budget reservation before a request goes upstream; the real usage
// settles both afterwards. They err on the high side: three bytes of text
// a token (English runs about four, code and other scripts fewer).
const (
	bytesPerToken = 3
	// messageOverhead is the role and framing tokens of each message.
	messageOverhead = 4
	// imageTokens is a picture's prompt cost whatever its size: Claude's
	// ceiling is about 1,600 tokens, OpenAI's high-detail tiles more; the
	// base64 bytes say nothing useful.
	imageTokens = 1600
	// fileTokens is a document's: unknown until the model reads it.
	fileTokens = 4000
)

// Estimate is what a request may use before it has run.
type Estimate struct {
	// Prompt is the estimated prompt tokens.
	Prompt int64
	// MaxOutput is the request's own output cap; 0 when it sets none (the
	// gate assumes limits.output_token_estimate then).
	MaxOutput int64
	// NoOutput is set for requests that produce no tokens (embeddings).
	NoOutput bool
}

func textTokens(s string) int64 { return int64(len(s)+bytesPerToken-1) / bytesPerToken }

// EstimateChat estimates a chat request's prompt tokens and returns its
// output cap (max_completion_tokens, else max_tokens; 0 when it has none).
func EstimateChat(req *openai.ChatCompletionRequest) Estimate {
	var prompt, maxOutput int64
	for i := range req.Messages {
		m := &req.Messages[i]
		prompt += messageOverhead + textTokens(m.Content.Text)
		for _, p := range m.Content.Parts {
			switch {
			case p.ImageURL != nil:
				prompt += imageTokens
			case p.File != nil:
				prompt += fileTokens
			default:
				prompt += textTokens(p.Text)
			}
		}
		for _, tc := range m.ToolCalls {
			prompt += textTokens(tc.Function.Name) + textTokens(tc.Function.Arguments)
		}
		if m.ReasoningContent != nil {
			prompt += textTokens(*m.ReasoningContent)
		}
	}
	for _, t := range req.Tools {
		if f := t.Function; f != nil {
			prompt += messageOverhead + textTokens(f.Name) + textTokens(f.Description) + int64(len(f.Parameters)+bytesPerToken-1)/bytesPerToken
		}
	}
	switch {
	case req.MaxCompletionTokens != nil:
		maxOutput = int64(*req.MaxCompletionTokens)
	case req.MaxTokens != nil:
		maxOutput = int64(*req.MaxTokens)
	}
	return Estimate{Prompt: prompt, MaxOutput: maxOutput}
}

// EstimateCompletion is EstimateChat for a legacy completion; token-array
// prompts count a token per element, roughly (a byte per three of JSON).
func EstimateCompletion(req *openai.CompletionRequest) Estimate {
	var prompt, maxOutput int64
	for _, s := range req.Prompt.Strings {
		prompt += textTokens(s)
	}
	prompt += int64(len(req.Prompt.Tokens)+bytesPerToken-1) / bytesPerToken
	if req.MaxTokens != nil {
		maxOutput = int64(*req.MaxTokens)
	}
	n := int64(1)
	if req.N != nil && *req.N > 1 {
		n = int64(*req.N)
	}
	if req.BestOf != nil && int64(*req.BestOf) > n {
		n = int64(*req.BestOf)
	}
	return Estimate{Prompt: prompt, MaxOutput: maxOutput * n}
}

// EstimateEmbedding estimates an embedding request's input tokens; it has
// no output.
func EstimateEmbedding(req *openai.EmbeddingRequest) Estimate {
	var prompt int64
	for _, s := range req.Input.Strings {
		prompt += textTokens(s)
	}
	prompt += int64(len(req.Input.Tokens)+bytesPerToken-1) / bytesPerToken
	return Estimate{Prompt: prompt, NoOutput: true}
}

// nativeOutputCaps are where native InvokeModel bodies set their output
// cap, per family (wire.md section 4): Anthropic, Mistral, Cohere, AI21
// and OpenAI-shaped bodies "max_tokens"; Llama "max_gen_len"; Titan
// textGenerationConfig.maxTokenCount; Nova inferenceConfig.max_new_tokens
// (also maxTokens); OpenAI's newer "max_completion_tokens".
var nativeOutputCaps = [][]string{
	{"max_tokens"},
	{"max_completion_tokens"},
	{"max_gen_len"},
	{"max_new_tokens"},
	{"textGenerationConfig", "maxTokenCount"},
	{"inferenceConfig", "max_new_tokens"},
	{"inferenceConfig", "maxTokens"},
}

// EstimateNative estimates a model-native body's tokens: its size for the
// prompt (the text is in there, with some JSON framing that errs high) and
// its own output cap where the family puts one.
func EstimateNative(body []byte) Estimate {
	e := Estimate{Prompt: int64(len(body)+bytesPerToken-1) / bytesPerToken}
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return e
	}
	for _, path := range nativeOutputCaps {
		var v any = doc
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if n, ok := v.(float64); ok && n > 0 {
			e.MaxOutput = max(e.MaxOutput, int64(min(n, math.MaxInt32)))
		}
	}
	return e
}

// EstimateText estimates a plain prompt's tokens (the native /generate and
// /prompt).
func EstimateText(s string) Estimate { return Estimate{Prompt: textTokens(s) + messageOverhead} }
