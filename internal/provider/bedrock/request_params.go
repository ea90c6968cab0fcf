package bedrock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// codeUnsupportedParameter is the error code OpenAI answers a parameter a
// model does not support with.
const codeUnsupportedParameter = "unsupported_parameter"

// checkParams refuses the OpenAI parameters whose meaning Bedrock cannot
// honour. Two kinds are refused whatever the policy, because the answer's
// shape would not be what the client parses:
//
//	n > 1                          Converse returns one message per call; the client would read choices[1]
//	modalities ["audio"], audio    no Bedrock chat model speaks; the client would read message.audio
//	functions, function_call       the deprecated function calling; the client would read message.function_call
//
// The others change what the answer says, not its shape. ParamsReject
// (the default) refuses them; ParamsIgnore drops them:
//
//	logprobs true, top_logprobs > 0   Converse reports no token probabilities
//	logit_bias (non-empty)            Converse takes no token biases
//	presence/frequency_penalty ≠ 0    Converse has no repetition penalties
//	verbosity other than "medium"     no Converse equivalent
//	web_search_options                Converse does not search the web
//	moderation                        OpenAI's moderation; use a Bedrock guardrail
//
// Parameters that change neither are ignored whatever the policy: seed
// (best effort at OpenAI too), store, prediction (a latency hint),
// prompt_cache_key, prompt_cache_retention and prompt_cache_options
// (OpenAI's cache routing; see applyCaching for Bedrock's),
// parallel_tool_calls and stream_options.
func checkParams(req *openai.ChatCompletionRequest, x *requestExtras, policy ParamPolicy) error {
	if req.N != nil && *req.N > 1 {
		return openai.Errorf("n", "Invalid 'n': Bedrock models return one choice per request, so 'n' must be 1, got %d.", *req.N)
	}
	if err := checkAudio(x); err != nil {
		return err
	}
	for _, name := range []string{"functions", "function_call"} {
		if x.specValue(name) != nil {
			return unsupported(name, "Bedrock models do not take the deprecated function calling; send 'tools' instead")
		}
	}
	if policy == ParamsIgnore {
		return nil
	}
	for _, p := range []struct {
		name string
		used bool
		why  string
	}{
		{"logprobs", req.Logprobs != nil && *req.Logprobs, "Bedrock models do not return log probabilities"},
		{"top_logprobs", req.TopLogprobs != nil && *req.TopLogprobs > 0, "Bedrock models do not return log probabilities"},
		{"logit_bias", nonEmptyObject(x.specValue("logit_bias")), "Bedrock models take no token biases"},
		{"presence_penalty", nonZero(req.PresencePenalty), "Bedrock models take no repetition penalties"},
		{"frequency_penalty", nonZero(req.FrequencyPenalty), "Bedrock models take no repetition penalties"},
		{"verbosity", !isJSONString(x.specValue("verbosity"), "", "medium"), "Bedrock models take no verbosity setting"},
		{"web_search_options", x.specValue("web_search_options") != nil, "Bedrock models do not search the web"},
		{"moderation", x.specValue("moderation") != nil, "OpenAI moderation is not available; Bedrock applies guardrails instead"},
	} {
		if p.used {
			return unsupported(p.name, p.why)
		}
	}
	return nil
}

// checkAudio refuses a request for audio output.
func checkAudio(x *requestExtras) error {
	if x.specValue("audio") != nil {
		return unsupported("audio", "Bedrock models do not produce audio")
	}
	var modalities []string
	if raw := x.specValue("modalities"); raw != nil {
		if err := json.Unmarshal(raw, &modalities); err != nil {
			return openai.Errorf("modalities", "Invalid type for 'modalities': expected an array of strings.")
		}
	}
	if slices.Contains(modalities, "audio") {
		return unsupported("modalities", "Bedrock models do not produce audio")
	}
	return nil
}

// unsupported is the 400 for a parameter Bedrock cannot honour.
func unsupported(param, why string) *openai.Error {
	return &openai.Error{
		Status:  http.StatusBadRequest,
		Type:    openai.TypeInvalidRequest,
		Param:   param,
		Code:    codeUnsupportedParameter,
		Message: fmt.Sprintf("Unsupported parameter: '%s' is not supported with this model. %s.", param, why),
	}
}

func nonZero(v *float64) bool { return v != nil && *v != 0 }

// nonEmptyObject reports whether raw is an object with a member.
func nonEmptyObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return raw != nil && json.Unmarshal(raw, &m) == nil && len(m) > 0
}

// isJSONString reports whether raw is absent or one of the given strings.
func isJSONString(raw json.RawMessage, values ...string) bool {
	if raw == nil {
		return true
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && slices.Contains(values, s)
}

// serviceTier maps OpenAI's service_tier to Bedrock's serviceTier:
//
//	auto, null        none: Bedrock's default tier, as OpenAI's "auto" means the project's default
//	default           default
//	flex              flex
//	priority, fast    priority (OpenAI's "fast" is its priority processing)
//	scale, reserved   reserved: capacity reserved ahead, as OpenAI's Scale Tier
//
// Any other value is a 400, as at OpenAI. Not every model offers every
// tier; Bedrock answers one it does not offer with a 400.
// https://docs.aws.amazon.com/bedrock/latest/userguide/service-tiers-inference.html
func serviceTier(raw json.RawMessage) (*ServiceTier, error) {
	if raw == nil {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, openai.Errorf("service_tier", "Invalid type for 'service_tier': expected a string.")
	}
	var tier string
	switch s {
	case "auto":
		return nil, nil
	case "default", "flex", "priority", "reserved":
		tier = s
	case "fast":
		tier = "priority"
	case "scale":
		tier = "reserved"
	default:
		return nil, openai.Errorf("service_tier", "Invalid value for 'service_tier': '%s'. Supported values are: 'auto', 'default', 'flex', 'priority', 'fast' and 'scale'.", s)
	}
	return &ServiceTier{Type: tier}, nil
}

// Bedrock's limits on requestMetadata (RequestMetadata in the service
// model): at most 16 pairs, keys of 1 to 256 and values of 0 to 256
// characters from [a-zA-Z0-9\s:_@$#=/+,-.].
const (
	maxMetadataPairs = 16
	maxMetadataLen   = 256
)

// requestMetadata builds requestMetadata, which Bedrock records with the
// invocation for cost attribution, from, in order of precedence:
//
//  1. the deployment's metadata (opts.RequestMetadata), as configured;
//  2. the client's `user` under the key "user", and `safety_identifier`
//     under "safety_identifier";
//  3. the client's `metadata` pairs, in key order.
//
// A key already set by an earlier source is kept, so a client cannot
// rewrite the operator's attribution, and pairs past the 16th are dropped.
// The client's keys and values are made valid rather than refused, since
// they only label the call: a character Bedrock does not allow becomes
// "_", a string is cut at 256 characters, and a key left empty is dropped.
func requestMetadata(req *openai.ChatCompletionRequest, x *requestExtras, deployment map[string]string) map[string]string {
	client := clientMetadata(req, x)
	if len(client) == 0 {
		return deployment
	}
	out := make(map[string]string, min(len(deployment)+len(client), maxMetadataPairs))
	for k, v := range deployment {
		out[k] = v
	}
	for _, kv := range client {
		if len(out) >= maxMetadataPairs {
			break
		}
		k := metadataString(kv[0])
		if _, taken := out[k]; k == "" || taken {
			continue
		}
		out[k] = metadataString(kv[1])
	}
	return out
}

// clientMetadata lists the client's pairs in precedence order.
func clientMetadata(req *openai.ChatCompletionRequest, x *requestExtras) [][2]string {
	var pairs [][2]string
	if req.User != "" {
		pairs = append(pairs, [2]string{"user", req.User})
	}
	var sid string
	if raw := x.specValue("safety_identifier"); raw != nil && json.Unmarshal(raw, &sid) == nil && sid != "" {
		pairs = append(pairs, [2]string{"safety_identifier", sid})
	}
	keys := make([]string, 0, len(req.Metadata))
	for k := range req.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		pairs = append(pairs, [2]string{k, req.Metadata[k]})
	}
	return pairs
}

// metadataString makes s valid for requestMetadata: characters outside
// Bedrock's set become "_" and the result is cut at 256 characters.
func metadataString(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxMetadataLen {
			break
		}
		if !metadataRune(r) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// metadataRune reports whether r is in [a-zA-Z0-9\s:_@$#=/+,-.], \s being
// Java's whitespace class (the service model's patterns are Java's).
func metadataRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune(" \t\n\v\f\r:_@$#=/+,-.", r)
}

// checkPrefill handles a conversation that ends with an assistant turn
// (assistant prefill) for a model that refuses one (NoAssistantPrefill):
// ParamsReject answers 400 naming the message, as the model would but
// before the call; ParamsIgnore drops the trailing assistant turn, so the
// model answers the conversation without the start it was given. Other
// models take the turn as the start of their answer.
func checkPrefill(req *openai.ChatCompletionRequest, opts RequestOptions, out *ConverseRequest) error {
	n := len(out.Messages)
	if !opts.Model.NoAssistantPrefill || n < 2 || out.Messages[n-1].Role != RoleAssistant {
		return nil
	}
	if opts.UnsupportedParams == ParamsIgnore {
		out.Messages = out.Messages[:n-1]
		return nil
	}
	i := len(req.Messages) - 1
	for i > 0 && req.Messages[i].Role != openai.RoleAssistant {
		i--
	}
	p := fmt.Sprintf("messages[%d]", i)
	return &openai.Error{
		Status:  http.StatusBadRequest,
		Type:    openai.TypeInvalidRequest,
		Param:   p,
		Code:    "unsupported_value",
		Message: fmt.Sprintf("This model does not support assistant message prefill: the conversation must end with a user or tool message, but %s is an assistant message.", p),
	}
}
