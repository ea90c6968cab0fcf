package config

import "time"

// DefaultBedrockRefreshInterval is how often discovered Bedrock models are
// listed again.
const DefaultBedrockRefreshInterval = Duration(10 * time.Minute)

// BedrockMode says when Bedrock models are discovered.
type BedrockMode string

// The values of BedrockMode; the empty string means BedrockAuto.
const (
	BedrockAuto BedrockMode = "auto"
	BedrockOn   BedrockMode = "true"
	BedrockOff  BedrockMode = "false"
)

// PromptCachingMode says where Bedrock requests get cache points.
type PromptCachingMode string

// The values of PromptCachingMode; the empty string means CachingAuto.
const (
	// CachingAuto places cache points where the client asks: its
	// cache_control markers and its prompt_caching extension.
	CachingAuto PromptCachingMode = "auto"
	// CachingOn also places them after the system prompt, the tools and
	// the last user turn of every request.
	CachingOn PromptCachingMode = "true"
	// CachingOff never places any.
	CachingOff PromptCachingMode = "false"
)

// The values of Bedrock.UnsupportedParams.
const (
	UnsupportedReject = "reject"
	UnsupportedIgnore = "ignore"
)

// Bedrock configures zero-config serving of Amazon Bedrock: the region's
// models are discovered (ListFoundationModels, ListInferenceProfiles),
// refreshed in the background and served under their model or profile IDs,
// the way aws-samples/bedrock-access-gateway serves them, next to any
// configured models.
type Bedrock struct {
	// Enabled is "auto" (discover when no model is configured and a region
	// is known), "true" or "false". Default "auto".
	// Environment: OUTCROP_BEDROCK.
	Enabled BedrockMode `yaml:"enabled"`
	// Region is the AWS region whose models are served. Default
	// AWS_REGION, else AWS_DEFAULT_REGION. Example "us-east-1".
	Region string `yaml:"region"`
	// Endpoint overrides Bedrock Runtime's URL, for a VPC endpoint or a
	// proxy. Default AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else
	// AWS_ENDPOINT_URL, else https://bedrock-runtime.{region}.amazonaws.com.
	// ${VAR} references are expanded.
	Endpoint string `yaml:"endpoint"`
	// ControlEndpoint overrides the control plane's URL, which discovery
	// calls. Default AWS_ENDPOINT_URL_BEDROCK, else AWS_ENDPOINT_URL, else
	// https://bedrock.{region}.amazonaws.com. ${VAR} references are
	// expanded.
	ControlEndpoint string `yaml:"control_endpoint"`
	// APIKey is a Bedrock API key, sent as a bearer token instead of a
	// SigV4 signature. Default AWS_BEARER_TOKEN_BEDROCK, else SigV4 with
	// the AWS default credentials chain. Never logged.
	APIKey Secret `yaml:"api_key"`
	// Profile is the AWS shared-config profile to take credentials (and,
	// for an upstream without a region, the region) from. Default the
	// SDK's: AWS_PROFILE, else "default".
	Profile string `yaml:"profile"`
	// CrossRegionInference serves the system-defined cross-region
	// inference profiles (us., eu., apac., global. ...), and serves models
	// that need a profile under their bare ID through it. Default true.
	// Environment: ENABLE_CROSS_REGION_INFERENCE.
	CrossRegionInference *bool `yaml:"cross_region_inference"`
	// ApplicationInferenceProfiles serves the account's application
	// inference profiles, named by their ARN. Default true.
	// Environment: ENABLE_APPLICATION_INFERENCE_PROFILES.
	ApplicationInferenceProfiles *bool `yaml:"application_inference_profiles"`
	// DefaultModel answers chat and completion requests for a model name
	// that is not served. Default "" (such requests get 404).
	// Environment: DEFAULT_MODEL.
	DefaultModel string `yaml:"default_model"`
	// DefaultEmbeddingModel answers embedding requests for a model name
	// that is not served. Default "". Environment: DEFAULT_EMBEDDING_MODEL.
	DefaultEmbeddingModel string `yaml:"default_embedding_model"`
	// Allow, when not empty, serves only the discovered models that one of
	// these glob patterns matches (* is any run of characters, ? one
	// character), by public name or foundation-model ID. Example
	// ["anthropic.*", "*.anthropic.*"].
	Allow []string `yaml:"allow"`
	// Deny drops the discovered models these patterns match, after Allow.
	Deny []string `yaml:"deny"`
	// RefreshInterval is the time between two discoveries. Default 10m;
	// at least 1s. A failed discovery keeps the last list and is retried
	// within 30s.
	RefreshInterval Duration `yaml:"refresh_interval"`
	// GuardrailID and GuardrailVersion apply a Bedrock guardrail to every
	// discovered model. Default none.
	GuardrailID      string `yaml:"guardrail_id"`
	GuardrailVersion string `yaml:"guardrail_version"`
	// GuardrailTrace is the guardrail's trace: "enabled", "enabled_full"
	// or "disabled" (Bedrock's default). A request may ask for another.
	GuardrailTrace string `yaml:"guardrail_trace"`
	// GuardrailStreamMode is how the guardrail checks a streamed answer:
	// "sync" (Bedrock's default: each chunk is checked before it is sent)
	// or "async" (sent at once, checked in the background).
	GuardrailStreamMode string `yaml:"guardrail_stream_mode"`
	// ModelsInfo adds to or corrects the capability table of Bedrock
	// models, for discovered models and bedrock upstreams alike.
	ModelsInfo []BedrockModelInfo `yaml:"models_info"`
	// PromptCaching is "auto" (cache points where the client's
	// cache_control markers or prompt_caching extension ask), "true" (also
	// after the system prompt, the tools and the last user turn of every
	// request) or "false" (never), for discovered models and bedrock
	// upstreams alike; only models that cache get cache points. Default
	// "auto". Environment: ENABLE_PROMPT_CACHING.
	PromptCaching PromptCachingMode `yaml:"prompt_caching"`
	// UnsupportedParams is "reject" (a 400 naming the parameter) or
	// "ignore" (dropped) for request parameters Bedrock cannot honour
	// that change what the answer says (logprobs, logit_bias, penalties,
	// verbosity, web_search_options, moderation), and for a trailing
	// assistant turn sent to a model that refuses one. Default "reject".
	UnsupportedParams string `yaml:"unsupported_params"`
}

// BedrockModelInfo is one row added to the Bedrock capability table, or a
// correction of one. Unset fields keep the value of the row the prefix
// falls under (the built-in family), or are false and unknown for a new
// family.
type BedrockModelInfo struct {
	// Prefix is the model-ID prefix the row covers, without a cross-region
	// prefix: "anthropic.claude-sonnet-4-5" or a whole ID. Required.
	Prefix string `yaml:"prefix"`
	// Kind is "chat", "embedding" or "unsupported" (never served).
	Kind string `yaml:"kind"`
	// System, Vision, Documents, Tools, ToolChoice, PromptCaching: whether
	// the model takes system prompts, images, documents, tools,
	// toolChoice any/tool, and cache points.
	System        *bool `yaml:"system"`
	Vision        *bool `yaml:"vision"`
	Documents     *bool `yaml:"documents"`
	Tools         *bool `yaml:"tools"`
	ToolChoice    *bool `yaml:"tool_choice"`
	PromptCaching *bool `yaml:"prompt_caching"`
	// ToolCaching: the model also takes a cache point after its tools.
	ToolCaching *bool `yaml:"tool_caching"`
	// ExclusiveSampling: the model rejects temperature and top_p together.
	ExclusiveSampling *bool `yaml:"exclusive_sampling"`
	// NoAssistantPrefill: the model rejects a conversation that ends with
	// an assistant turn.
	NoAssistantPrefill *bool `yaml:"no_assistant_prefill"`
	// StructuredOutput: the model takes Bedrock's native structured
	// output (outputConfig).
	StructuredOutput *bool `yaml:"structured_output"`
	// Reasoning is "none", "budget" (Claude extended thinking),
	// "adaptive" (Claude adaptive thinking), "effort" or "always".
	Reasoning string `yaml:"reasoning"`
	// ContextWindow, MaxOutputTokens: limits in tokens.
	ContextWindow   int `yaml:"context_window"`
	MaxOutputTokens int `yaml:"max_output_tokens"`
	// DefaultMaxTokens is sent when a request sets no limit.
	DefaultMaxTokens int `yaml:"default_max_tokens"`
	// Dimensions is an embedding model's vector length.
	Dimensions int `yaml:"dimensions"`
}

// BedrockEnabled reports whether Bedrock models are discovered: always for
// "true", never for "false", and for "auto" when no model is configured
// and a region is known (bedrock.region, AWS_REGION or AWS_DEFAULT_REGION),
// so that `outcrop serve` with AWS credentials and a region in the
// environment serves Bedrock like bedrock-access-gateway does.
func (c *Config) BedrockEnabled() bool {
	switch c.Bedrock.Enabled {
	case BedrockOn:
		return true
	case BedrockOff:
		return false
	default:
		return len(c.Models) == 0 && c.Bedrock.Region != ""
	}
}

// CrossRegion reports the effective cross_region_inference.
func (b *Bedrock) CrossRegion() bool {
	return b.CrossRegionInference == nil || *b.CrossRegionInference
}

// ApplicationProfiles reports the effective application_inference_profiles.
func (b *Bedrock) ApplicationProfiles() bool {
	return b.ApplicationInferenceProfiles == nil || *b.ApplicationInferenceProfiles
}

func (b *Bedrock) applyDefaults() {
	setDefault(&b.Enabled, BedrockAuto)
	setDefault(&b.RefreshInterval, DefaultBedrockRefreshInterval)
	setDefault(&b.PromptCaching, CachingAuto)
	setDefault(&b.UnsupportedParams, UnsupportedReject)
	if b.CrossRegionInference == nil {
		b.CrossRegionInference = ptr(true)
	}
	if b.ApplicationInferenceProfiles == nil {
		b.ApplicationInferenceProfiles = ptr(true)
	}
}

func ptr[T any](v T) *T { return &v }
