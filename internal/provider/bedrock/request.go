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
	// Guardrail, when set, is sent as guardrailConfig: the deployment's
	// (per model, upstream or key), which a request may complete with its
	// trace but not replace (see requestGuardrail). Its
	// StreamProcessingMode is kept for ConverseStream only (req.Stream):
	// Converse does not define the member.
	Guardrail *GuardrailConfig
	// RequestMetadata is the deployment's requestMetadata (shared, not
	// copied), completed with the client's `user` and `metadata` (see
	// requestMetadata).
	RequestMetadata map[string]string
	// PromptCaching is the prompt-caching policy; empty means
	// CacheOnRequest (see applyCaching).
	PromptCaching CachePolicy
	// UnsupportedParams says what to do with a parameter Bedrock cannot
	// honour; empty means ParamsReject (see checkParams).
	UnsupportedParams ParamPolicy
	// Model is the model's catalogue entry; the zero value (an unknown
	// model) means no capability is known, and translation sends what the
	// client asked for without adapting it (see each capability's use).
	Model ModelInfo
	// ThinkTags asks for the model's reasoning inside the content, wrapped
	// in <think>...</think>, instead of in reasoning_content: for clients,
	// such as Open WebUI, that only show content. The response side reads
	// it from ResponseMeta.ThinkTags.
	ThinkTags bool
}

// ToConverse translates an OpenAI chat request into a Converse (or
// ConverseStream) request body. It is a pure function: the result shares
// strings with req and opts, and nothing is read from the clock or the
// environment. Every error is a 400 *openai.Error naming the parameter: a
// parameter whose meaning Bedrock cannot honour is refused, not dropped,
// unless opts.UnsupportedParams says otherwise.
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
//	n > 1, audio output, functions    400                            see checkParams
//	logprobs, logit_bias, penalties,  400, or dropped with           see checkParams
//	verbosity, web_search_options,    opts.UnsupportedParams
//	moderation                        ParamsIgnore
//	response_format json_schema,      outputConfig.textFormat, or a  see applyResponseFormat
//	json_object                       forced json_response tool
//	stream                            guardrail streamProcessingMode the caller picks ConverseStream
//	stream_options                    ignored                        usage always arrives in the metadata event
//	user, safety_identifier, metadata requestMetadata                see requestMetadata
//	service_tier                      serviceTier                    see serviceTier
//	seed, store, prediction,          ignored                        none changes the answer (see checkParams)
//	prompt_cache_*
//	cache_control (parts, tools)      cachePoint blocks              see applyCaching
//	prompt_caching (extension)        cachePoint blocks              see applyCaching
//	guardrailConfig (extension)       guardrailConfig                see requestGuardrail
//	other members, extra_body         additionalModelRequestFields   see readExtras
//	last message from the assistant   400 for some models            see checkPrefill
//	parallel_tool_calls false         Claude: additionalModelRequest see applyParallelToolCalls; advisory for
//	                                  Fields.tool_choice             other models
//	reasoning_effort, thinking        additionalModelRequestFields   see applyReasoning
//	                                  (thinking, reasoningConfig...)
//	messages[].name                   ignored                        Bedrock turns carry no author name
func ToConverse(req *openai.ChatCompletionRequest, opts RequestOptions) (*ConverseRequest, error) {
	extras, err := readExtras(req)
	if err != nil {
		return nil, err
	}
	if err := checkParams(req, extras, opts.UnsupportedParams); err != nil {
		return nil, err
	}
	conv, err := convertMessages(req.Messages, newMediaState(req, opts))
	if err != nil {
		return nil, err
	}
	ic, err := inferenceConfig(req, opts)
	if err != nil {
		return nil, err
	}
	tc, err := toolConfig(req, opts, &conv)
	if err != nil {
		return nil, err
	}
	out := &ConverseRequest{
		Messages:        conv.messages,
		System:          conv.system,
		InferenceConfig: ic,
		ToolConfig:      tc,
	}
	if err := applyRequestFields(req, extras, opts, out); err != nil {
		return nil, err
	}
	if err := applyOutputControls(req, extras, opts, out); err != nil {
		return nil, err
	}
	if err := checkPrefill(req, opts, out); err != nil {
		return nil, err
	}
	if err := applyCaching(req, extras, opts, out); err != nil {
		return nil, err
	}
	return out, nil
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
