package bedrock

import (
	"github.com/outcrop/outcrop/internal/openai"
)

// RequestOptions carries what translation needs beyond the request: the
// model's quirks from the catalogue and the deployment's settings.
type RequestOptions struct {
	// DefaultMaxTokens is sent as maxTokens when the request sets neither
	// max_tokens nor max_completion_tokens. Zero sends no maxTokens, which
	// leaves the model's own default. It is capped by MaxOutputTokens.
	DefaultMaxTokens int
	// MaxOutputTokens, when > 0, is the most tokens the model can generate.
	// A client limit above it is answered with a 400 naming the parameter
	// and the limit, as OpenAI answers a max_tokens its model cannot honour:
	// clamping it silently would change what the client asked for, and
	// sending it would only earn Bedrock's less helpful ValidationException.
	MaxOutputTokens int
	// Guardrail, when set, is sent as guardrailConfig. Its
	// StreamProcessingMode is kept for ConverseStream only (req.Stream):
	// Converse does not define the member.
	Guardrail *GuardrailConfig
	// RequestMetadata is sent as requestMetadata (shared, not copied). The
	// client's own `metadata` is not: it is OpenAI's store metadata, and
	// what Bedrock logs with an invocation is the gateway's to decide.
	RequestMetadata map[string]string
}

// ToConverse translates an OpenAI chat request into a Converse (or
// ConverseStream) request body. It is a pure function: the result shares
// strings with req and opts, and nothing is read from the clock or the
// environment. Every error is a 400 *openai.Error naming the parameter: a
// parameter whose meaning Bedrock cannot honour is refused, not dropped.
//
// How each OpenAI parameter is treated:
//
//	parameter                         Bedrock                        why
//	messages                          messages, system               see convertMessages
//	max_completion_tokens, max_tokens inferenceConfig.maxTokens      max_completion_tokens wins; neither: opts.DefaultMaxTokens
//	temperature                       inferenceConfig.temperature    clamped to 1, see inferenceConfig
//	top_p                             inferenceConfig.topP           same range, 0..1
//	stop                              inferenceConfig.stopSequences  empty strings dropped: Bedrock needs non-empty ones
//	tools, tool_choice                toolConfig                     see toolConfig
//	n > 1                             400                            Converse returns one message per call
//	logprobs true, top_logprobs > 0   400                            Converse reports no token probabilities
//	response_format json_schema       400                            structured output is not mapped yet
//	response_format json_object       ignored                        OpenAI only accepts it when the messages ask
//	                                                                 for JSON, so the instruction is in the prompt
//	stream                            guardrail streamProcessingMode the caller picks ConverseStream
//	stream_options                    ignored                        usage always arrives in the metadata event
//	user, metadata, seed              ignored                        no Converse equivalent; none changes the
//	                                                                 answer's shape
//	presence/frequency_penalty        ignored                        sampling hints without a Converse equivalent
//	parallel_tool_calls               ignored                        no Converse switch; clients take any number
//	                                                                 of calls
//	reasoning_effort                  ignored                        reasoning controls are model-specific
//	                                                                 fields, not mapped yet
//	cache_control (parts, tools)      ignored                        prompt caching is not mapped yet
//	messages[].name                   ignored                        Bedrock turns carry no author name
func ToConverse(req *openai.ChatCompletionRequest, opts RequestOptions) (*ConverseRequest, error) {
	if err := checkUnsupported(req); err != nil {
		return nil, err
	}
	conv, err := convertMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	ic, err := inferenceConfig(req, opts)
	if err != nil {
		return nil, err
	}
	tc, err := toolConfig(req, conv.hasToolBlocks)
	if err != nil {
		return nil, err
	}
	return &ConverseRequest{
		Messages:        conv.messages,
		System:          conv.system,
		InferenceConfig: ic,
		ToolConfig:      tc,
		GuardrailConfig: guardrailConfig(opts.Guardrail, req.Stream),
		RequestMetadata: opts.RequestMetadata,
	}, nil
}

// checkUnsupported rejects parameters whose meaning Bedrock cannot honour.
func checkUnsupported(req *openai.ChatCompletionRequest) error {
	if req.N != nil && *req.N > 1 {
		return openai.Errorf("n", "Invalid 'n': Bedrock models return one choice per request, so 'n' must be 1, got %d.", *req.N)
	}
	if req.Logprobs != nil && *req.Logprobs {
		return openai.Errorf("logprobs", "Invalid 'logprobs': Bedrock models do not return log probabilities.")
	}
	if req.TopLogprobs != nil && *req.TopLogprobs > 0 {
		return openai.Errorf("top_logprobs", "Invalid 'top_logprobs': Bedrock models do not return log probabilities.")
	}
	if f := req.ResponseFormat; f != nil && f.Type == "json_schema" {
		return openai.Errorf("response_format", "Invalid 'response_format': 'json_schema' is not supported yet for Bedrock models.")
	}
	return nil
}

// inferenceConfig maps the sampling parameters. It returns nil when there
// is nothing to send.
//
// OpenAI's temperature runs 0..2 and Bedrock's 0..1 (the service model's
// InferenceConfigurationTemperatureFloat has max 1). A value above 1 is
// clamped to 1 rather than scaled: the common values (0, 0.2, 0.7, 1) then
// mean what clients and the models' own documentation mean by them, and
// "more random than 1" still gets the most randomness Bedrock allows.
func inferenceConfig(req *openai.ChatCompletionRequest, opts RequestOptions) (*InferenceConfig, error) {
	maxTokens, err := maxTokens(req, opts)
	if err != nil {
		return nil, err
	}
	ic := InferenceConfig{MaxTokens: maxTokens, TopP: req.TopP}
	if t := req.Temperature; t != nil {
		v := min(*t, 1)
		ic.Temperature = &v
	}
	if req.Stop != nil {
		ic.StopSequences = nonEmptyStrings(req.Stop.Values)
	}
	if ic.MaxTokens == nil && ic.Temperature == nil && ic.TopP == nil && ic.StopSequences == nil {
		return nil, nil
	}
	return &ic, nil
}

// maxTokens picks the output limit: max_completion_tokens, then
// max_tokens, then the model default from opts.
func maxTokens(req *openai.ChatCompletionRequest, opts RequestOptions) (*int, error) {
	param, v := "max_completion_tokens", req.MaxCompletionTokens
	if v == nil {
		param, v = "max_tokens", req.MaxTokens
	}
	if v == nil {
		if opts.DefaultMaxTokens <= 0 {
			return nil, nil
		}
		n := opts.DefaultMaxTokens
		if opts.MaxOutputTokens > 0 {
			n = min(n, opts.MaxOutputTokens)
		}
		return &n, nil
	}
	if opts.MaxOutputTokens > 0 && *v > opts.MaxOutputTokens {
		return nil, openai.Errorf(param, "Invalid '%s': %d is too large; this model generates at most %d tokens per answer.", param, *v, opts.MaxOutputTokens)
	}
	n := *v
	return &n, nil
}

// nonEmptyStrings returns the non-empty members of s, or nil if none.
func nonEmptyStrings(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// guardrailConfig copies the deployment's guardrail, dropping the stream
// processing mode for Converse, whose GuardrailConfiguration lacks it.
func guardrailConfig(g *GuardrailConfig, stream bool) *GuardrailConfig {
	if g == nil {
		return nil
	}
	c := *g
	if !stream {
		c.StreamProcessingMode = ""
	}
	return &c
}
