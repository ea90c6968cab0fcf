package config

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// bedrock checks the bedrock section. It runs after models and aliases,
// whose names the default models may refer to.
func (v *validator) bedrock() {
	b := v.c.Bedrock
	v.oneOf("bedrock.enabled", string(b.Enabled), string(BedrockAuto), string(BedrockOn), string(BedrockOff))
	if b.Region != "" {
		v.region("bedrock.region", b.Region)
	} else if b.Enabled == BedrockOn {
		v.add("bedrock.region", "required when bedrock is enabled (or set %s)", EnvAWSRegion)
	}
	v.endpoint("bedrock.endpoint", b.Endpoint)
	v.endpoint("bedrock.control_endpoint", b.ControlEndpoint)
	if b.RefreshInterval != 0 && b.RefreshInterval < Duration(time.Second) {
		v.add("bedrock.refresh_interval", "must be at least 1s")
	}
	v.defaultModel("bedrock.default_model", b.DefaultModel)
	v.defaultModel("bedrock.default_embedding_model", b.DefaultEmbeddingModel)
	for i, pattern := range b.Allow {
		if pattern == "" {
			v.add(fmt.Sprintf("bedrock.allow[%d]", i), "empty pattern")
		}
	}
	for i, pattern := range b.Deny {
		if pattern == "" {
			v.add(fmt.Sprintf("bedrock.deny[%d]", i), "empty pattern")
		}
	}
	v.guardrail("bedrock", guardrailFields{b.GuardrailID, b.GuardrailVersion, b.GuardrailTrace, b.GuardrailStreamMode})
	v.modelsInfo(b.ModelsInfo)
	v.oneOf("bedrock.prompt_caching", string(b.PromptCaching), string(CachingAuto), string(CachingOn), string(CachingOff))
	v.oneOf("bedrock.unsupported_params", b.UnsupportedParams, UnsupportedReject, UnsupportedIgnore)
}

// bedrockUpstream checks an upstream of type bedrock.
func (v *validator) bedrockUpstream(p string, u Upstream) {
	if u.BaseURL != "" {
		v.add(p+".base_url", "not used by type bedrock (set endpoint for a VPC endpoint or a proxy)")
	}
	if u.APIVersion != "" {
		v.add(p+".api_version", "only used by types azure and azure-v1; remove it")
	}
	if len(u.Headers) > 0 {
		v.add(p+".headers", "not supported by type bedrock")
	}
	if u.Region != "" {
		v.region(p+".region", u.Region)
	}
	v.endpoint(p+".endpoint", u.Endpoint)
	v.guardrail(p, guardrailFields{u.GuardrailID, u.GuardrailVersion, u.GuardrailTrace, u.GuardrailStreamMode})
	nonNegative(v, p+".timeout", u.Timeout)
}

// onlyForBedrock rejects the bedrock fields on another type of upstream.
func (v *validator) onlyForBedrock(p string, u Upstream) {
	for _, f := range []struct{ key, value string }{
		{"region", u.Region},
		{"endpoint", u.Endpoint},
		{"profile", u.Profile},
		{"guardrail_id", u.GuardrailID},
		{"guardrail_version", u.GuardrailVersion},
		{"guardrail_trace", u.GuardrailTrace},
		{"guardrail_stream_mode", u.GuardrailStreamMode},
	} {
		if f.value != "" {
			v.add(p+"."+f.key, "only used by type bedrock; remove it")
		}
	}
}

// region checks an AWS region name, which goes into host names.
func (v *validator) region(path, region string) {
	for _, r := range region {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			v.add(path, "invalid region %q (want an AWS region like \"us-east-1\")", region)
			return
		}
	}
}

// endpoint checks an optional endpoint override.
func (v *validator) endpoint(path, raw string) {
	if raw != "" {
		v.baseURL(path, raw, TypeBedrock)
	}
}

// guardrailFields are a guardrail's keys: guardrail_id, guardrail_version,
// guardrail_trace and guardrail_stream_mode.
type guardrailFields struct{ id, version, trace, streamMode string }

func (g guardrailFields) set() bool { return g != guardrailFields{} }

// The patterns of GuardrailIdentifier and GuardrailVersion in Bedrock
// Runtime's service model.
var (
	guardrailIDPattern      = regexp.MustCompile(`^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$`)
	guardrailVersionPattern = regexp.MustCompile(`^(?:[1-9][0-9]{0,7}|DRAFT)$`)
)

// guardrail checks a guardrail's keys under p: Converse takes the
// identifier and the version together, in Bedrock's formats, and the
// trace and streaming mode only with them.
func (v *validator) guardrail(p string, g guardrailFields) {
	switch {
	case g.id != "" && g.version == "":
		v.add(p+".guardrail_version", "required with guardrail_id (a version number or \"DRAFT\")")
	case g.id == "" && g.version != "":
		v.add(p+".guardrail_id", "required with guardrail_version")
	case g.id == "" && (g.trace != "" || g.streamMode != ""):
		v.add(p+".guardrail_id", "required when guardrail_trace or guardrail_stream_mode is set")
	}
	if g.id != "" && !guardrailIDPattern.MatchString(g.id) {
		v.add(p+".guardrail_id", "invalid guardrail ID %q (want its ID, lower-case letters and digits like \"abc123xyz\", or its ARN)", g.id)
	}
	if g.version != "" && !guardrailVersionPattern.MatchString(g.version) {
		v.add(p+".guardrail_version", "invalid guardrail version %q (want a version number like \"1\" or \"DRAFT\")", g.version)
	}
	v.oneOf(p+".guardrail_trace", g.trace, "enabled", "enabled_full", "disabled")
	v.oneOf(p+".guardrail_stream_mode", g.streamMode, "sync", "async")
}

// deploymentGuardrail checks the guardrail of a deployment at p, which
// only a bedrock upstream applies.
func (v *validator) deploymentGuardrail(p string, d Deployment) {
	g := guardrailFields{d.GuardrailID, d.GuardrailVersion, d.GuardrailTrace, d.GuardrailStreamMode}
	if !g.set() {
		return
	}
	i := slices.IndexFunc(v.c.Upstreams, func(u Upstream) bool { return u.Name == d.Upstream })
	if i >= 0 && v.c.Upstreams[i].Type != TypeBedrock {
		v.add(p+".guardrail_id", "only used with a bedrock upstream; remove the guardrail keys")
		return
	}
	v.guardrail(p, g)
}

// defaultModel checks bedrock.default_model and default_embedding_model.
// With discovery on, the model may be one only discovery knows, and is
// served even if discovery does not list it.
func (v *validator) defaultModel(path, name string) {
	if name == "" {
		return
	}
	before := len(v.problems)
	v.noSpaces(path, name)
	_, isAlias := v.aliasAt[name]
	if len(v.problems) == before && v.modelAt[name] == "" && !isAlias && !v.c.BedrockEnabled() {
		v.add(path, "unknown model %q (with bedrock discovery off, it must name a configured model or alias)", name)
	}
}

func (v *validator) modelsInfo(rows []BedrockModelInfo) {
	first := make(map[string]int)
	for i, m := range rows {
		p := fmt.Sprintf("bedrock.models_info[%d]", i)
		if j, dup := first[m.Prefix]; dup && m.Prefix != "" {
			v.add(p+".prefix", "duplicate prefix %q (first at bedrock.models_info[%d])", m.Prefix, j)
		} else {
			v.name(p+".prefix", m.Prefix)
			first[m.Prefix] = i
		}
		v.oneOf(p+".kind", m.Kind, "chat", "embedding", "unsupported")
		v.oneOf(p+".reasoning", m.Reasoning, "none", "budget", "adaptive", "effort", "always")
		nonNegative(v, p+".context_window", m.ContextWindow)
		nonNegative(v, p+".max_output_tokens", m.MaxOutputTokens)
		nonNegative(v, p+".default_max_tokens", m.DefaultMaxTokens)
		nonNegative(v, p+".dimensions", m.Dimensions)
	}
}

// noSpaces checks an optional name.
func (v *validator) noSpaces(path, name string) {
	if name != "" {
		v.name(path, name)
	}
}
