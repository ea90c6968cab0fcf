package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
)

// ParamPolicy says what translation does with an OpenAI parameter whose
// meaning Bedrock cannot honour (see checkParams for the list).
type ParamPolicy string

// The parameter policies; the empty string means ParamsReject.
const (
	// ParamsReject answers such a parameter with a 400 naming it, as
	// OpenAI answers a parameter a model does not support.
	ParamsReject ParamPolicy = "reject"
	// ParamsIgnore drops it and serves the request without it. The
	// operator chooses this for clients that send such parameters
	// without needing them.
	ParamsIgnore ParamPolicy = "ignore"
)

// Outcrop's extension members of a chat request: read from the top level
// (where the Python SDK's extra_body puts them) or from a nested
// `extra_body` object, which wins.
const (
	extExtraBody  = "extra_body"
	extCaching    = "prompt_caching"
	extGuardrail  = "guardrailConfig"
	extAdditional = "additionalModelRequestFields"
	// extThinking is Anthropic's thinking object, which the reasoning
	// translation reads (request_reasoning.go); it is never passed
	// through as is.
	extThinking = "thinking"
)

// requestExtras is what translation reads from the raw body beyond the
// typed request: OpenAI members that are not modelled, Outcrop's
// extensions and the provider-specific fields.
type requestExtras struct {
	// spec holds the raw values of the OpenAI members checkParams and
	// the request options read (service_tier, logit_bias...), by name.
	spec map[string]json.RawMessage
	// caching and guardrail are the prompt_caching and guardrailConfig
	// extensions.
	caching   json.RawMessage
	guardrail json.RawMessage
	// additional are the provider-specific fields bound for
	// additionalModelRequestFields.
	additional map[string]json.RawMessage
	// thinkingTop and thinkingNested are the first thinking member at
	// the top level and in extra_body (nil: none), for the reasoning
	// translation (see thinking).
	thinkingTop, thinkingNested json.RawMessage
}

// readExtras scans the request's raw body (nothing when the request was
// not decoded from the wire). Top-level members are sorted into OpenAI
// parameters and the rest:
//
//   - an OpenAI parameter (isOpenAIField) is never passed through; the ones
//     translation reads from the body are kept in spec;
//   - `extra_body`, an object, is read like the top level, after it, so
//     that its members win; an OpenAI parameter inside it is a 400
//     (it belongs at the top level);
//   - prompt_caching and guardrailConfig are Outcrop's extensions;
//   - additionalModelRequestFields, an object, contributes its members;
//   - thinking is left to the reasoning translation;
//   - any other member, unless null, is a provider-specific field for
//     additionalModelRequestFields (top_k, anthropic_beta...).
func readExtras(req *openai.ChatCompletionRequest) (*requestExtras, error) {
	x := &requestExtras{}
	if len(req.Raw) == 0 {
		return x, nil
	}
	var nested json.RawMessage
	var err error
	scanErr := jsonx.Members(req.Raw, func(m jsonx.Member) bool {
		// The key stays bytes for the OpenAI members, which are most:
		// a string of it is made only where it is kept.
		key, val := m.Key, m.Value(req.Raw)
		switch {
		case string(key) == extExtraBody:
			nested = val
		case isOpenAIField(key):
			x.keepSpec(key, val)
		default:
			err = x.extension(string(key), string(key), val)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	if scanErr != nil {
		// The body was decoded before, so this cannot happen; the members
		// read so far are used.
		return x, nil //nolint:nilerr // see above
	}
	if isNull(nested) {
		return x, nil
	}
	if nested[0] != '{' {
		return nil, openai.Errorf(extExtraBody, "Invalid type for 'extra_body': expected an object.")
	}
	// The body was decoded before, so the scans cannot fail on syntax; if
	// they did, the members read so far are used.
	_ = jsonx.Members(nested, func(m jsonx.Member) bool {
		key, val := string(m.Key), m.Value(nested)
		p := extExtraBody + "." + key
		if isOpenAIField(m.Key) || key == extExtraBody {
			err = openai.Errorf(p, "Invalid '%s': '%s' is an OpenAI parameter; send it at the top level of the request.", p, key)
		} else {
			err = x.extension(p, key, val)
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// keepSpec keeps the raw value of the OpenAI members read from the body.
func (x *requestExtras) keepSpec(key []byte, val json.RawMessage) {
	switch string(key) {
	case "service_tier", "safety_identifier", "logit_bias", "modalities", "audio",
		"web_search_options", "moderation", "verbosity", "functions", "function_call":
		if x.spec == nil {
			x.spec = make(map[string]json.RawMessage)
		}
		x.spec[string(key)] = val
	}
}

// extension sorts a member that is not an OpenAI parameter; param is its
// path in the body, for errors.
func (x *requestExtras) extension(param, key string, val json.RawMessage) error {
	switch key {
	case extCaching:
		x.caching = val
	case extGuardrail:
		x.guardrail = val
	case extThinking:
		if param == key && x.thinkingTop == nil {
			x.thinkingTop = val
		} else if param != key && x.thinkingNested == nil {
			x.thinkingNested = val
		}
	case extAdditional:
		if isNull(val) {
			return nil
		}
		if val[0] != '{' {
			return openai.Errorf(param, "Invalid type for '%s': expected an object.", param)
		}
		return jsonx.Members(val, func(m jsonx.Member) bool {
			x.addField(string(m.Key), m.Value(val))
			return true
		})
	default:
		x.addField(key, val)
	}
	return nil
}

func (x *requestExtras) addField(key string, val json.RawMessage) {
	if isNull(val) {
		return // clients send null for "not set"
	}
	if x.additional == nil {
		x.additional = make(map[string]json.RawMessage)
	}
	x.additional[key] = val
}

// specValue returns the raw value of an OpenAI member kept by keepSpec, or
// nil when it is absent or null.
func (x *requestExtras) specValue(key string) json.RawMessage {
	v := x.spec[key]
	if isNull(v) {
		return nil
	}
	return v
}

// isOpenAIField reports whether name is a member of OpenAI's chat request
// (CreateChatCompletionRequest in shared/spec/openai-openapi.yaml). These
// are translated, read or refused, but never passed through to
// additionalModelRequestFields: a field OpenAI adds later must be added
// here, not leak to Bedrock.
func isOpenAIField(name []byte) bool {
	switch string(name) {
	case "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
		"temperature", "top_p", "n", "stop", "presence_penalty", "frequency_penalty", "seed",
		"user", "safety_identifier", "tools", "tool_choice", "parallel_tool_calls",
		"functions", "function_call", "response_format", "reasoning_effort", "verbosity",
		"logprobs", "top_logprobs", "logit_bias", "metadata", "store", "service_tier",
		"modalities", "audio", "prediction", "web_search_options", "moderation",
		"prompt_cache_key", "prompt_cache_retention", "prompt_cache_options":
		return true
	}
	return false
}

// thinking returns the thinking extension, from extra_body if it is
// there, else from the top level; nil when absent or null.
func (x *requestExtras) thinking() json.RawMessage {
	val := x.thinkingTop
	if x.thinkingNested != nil {
		val = x.thinkingNested
	}
	if isNull(val) {
		return nil
	}
	return val
}

// mergeAdditional returns dst, an additionalModelRequestFields object (or
// nothing), with each member of add set: a member already in dst is
// replaced, a new one appended in key order. dst is not modified. Every
// writer of additionalModelRequestFields goes through it, so that the
// client's provider-specific fields and the gateway's own (reasoning,
// structured output) end up in one object; the last writer wins a key.
func mergeAdditional(dst json.RawMessage, add map[string]json.RawMessage) (json.RawMessage, error) {
	if len(add) == 0 {
		return dst, nil
	}
	out := []byte(dst)
	if len(bytes.TrimSpace(out)) == 0 {
		out = []byte("{}")
	}
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var err error
		if out, err = jsonx.Set(out, k, add[k]); err != nil {
			return nil, fmt.Errorf("additionalModelRequestFields: %w", err)
		}
	}
	return out, nil
}

// isNull reports whether a raw value is absent or JSON null.
func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// applyRequestFields maps the rest of the request: the client's user and
// metadata with the deployment's (requestMetadata), service_tier
// (serviceTier), the guardrail (guardrailConfig) and the provider-specific
// fields (additionalModelRequestFields, where later translation steps
// merge theirs over the client's).
func applyRequestFields(req *openai.ChatCompletionRequest, x *requestExtras, opts RequestOptions, out *ConverseRequest) error {
	out.RequestMetadata = requestMetadata(req, x, opts.RequestMetadata)
	tier, err := serviceTier(x.specValue("service_tier"))
	if err != nil {
		return err
	}
	out.ServiceTier = tier
	g, err := requestGuardrail(x.guardrail, opts.Guardrail)
	if err != nil {
		return err
	}
	out.GuardrailConfig = guardrailConfig(g, req.Stream)
	out.AdditionalModelRequestFields, err = mergeAdditional(out.AdditionalModelRequestFields, x.additional)
	return err
}
