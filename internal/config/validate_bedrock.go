package config

import (
	"fmt"
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
	v.guardrail("bedrock", b.GuardrailID, b.GuardrailVersion)
	v.modelsInfo(b.ModelsInfo)
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
	v.guardrail(p, u.GuardrailID, u.GuardrailVersion)
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

// guardrail checks a guardrail identifier and version, which Converse
// takes together.
func (v *validator) guardrail(p, id, version string) {
	switch {
	case id != "" && version == "":
		v.add(p+".guardrail_version", "required with guardrail_id (a version number or \"DRAFT\")")
	case id == "" && version != "":
		v.add(p+".guardrail_id", "required with guardrail_version")
	}
	v.noSpaces(p+".guardrail_id", id)
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
